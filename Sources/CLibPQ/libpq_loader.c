#include "CLibPQ.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

struct cpq_functions cpq_table;

static pthread_once_t cpq_once = PTHREAD_ONCE_INIT;
static const char *cpq_failure = NULL;
static char cpq_message[512];

// Debian's runtime package is libpq5; the unversioned name exists only with libpq-dev.
static const char *const cpq_names[] = {"libpq.so.5", "libpq.so"};

static void cpq_open(void) {
    void *handle = NULL;
    for (size_t i = 0; i < sizeof cpq_names / sizeof cpq_names[0] && handle == NULL; i++) {
        handle = dlopen(cpq_names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (handle == NULL) {
        snprintf(cpq_message, sizeof cpq_message, "cannot load libpq (install libpq5): %s", dlerror());
        cpq_failure = cpq_message;
        return;
    }
#define CPQ_BIND(name) \
    if ((cpq_table.name = (__typeof__(cpq_table.name))dlsym(handle, #name)) == NULL) { \
        snprintf(cpq_message, sizeof cpq_message, "libpq lacks %s (pipeline mode needs libpq 14 or newer)", #name); \
        cpq_failure = cpq_message; \
        return; \
    }

    CPQ_BIND(PQconnectStart)
    CPQ_BIND(PQconnectPoll)
    CPQ_BIND(PQconnectdb)
    CPQ_BIND(PQstatus)
    CPQ_BIND(PQfinish)
    CPQ_BIND(PQsocket)
    CPQ_BIND(PQerrorMessage)
    CPQ_BIND(PQsetnonblocking)
    CPQ_BIND(PQenterPipelineMode)
    CPQ_BIND(PQpipelineSync)
    CPQ_BIND(PQsendPrepare)
    CPQ_BIND(PQsendQueryPrepared)
    CPQ_BIND(PQsendQueryParams)
    CPQ_BIND(PQflush)
    CPQ_BIND(PQconsumeInput)
    CPQ_BIND(PQisBusy)
    CPQ_BIND(PQgetResult)
    CPQ_BIND(PQresultStatus)
    CPQ_BIND(PQresultErrorField)
    CPQ_BIND(PQresultErrorMessage)
    CPQ_BIND(PQclear)
    CPQ_BIND(PQntuples)
    CPQ_BIND(PQnfields)
    CPQ_BIND(PQfname)
    CPQ_BIND(PQgetvalue)
    CPQ_BIND(PQgetisnull)
    CPQ_BIND(PQgetlength)
    CPQ_BIND(PQcmdTuples)
    CPQ_BIND(PQnotifies)
    CPQ_BIND(PQfreemem)
    CPQ_BIND(PQexec)
    CPQ_BIND(PQexecParams)
    CPQ_BIND(PQescapeIdentifier)
    CPQ_BIND(PQsetNoticeProcessor)
#undef CPQ_BIND
}

const char *cpq_load(void) {
    pthread_once(&cpq_once, cpq_open);
    return cpq_failure;
}
