#ifndef ISOLATIOND_CLIBPQ_H
#define ISOLATIOND_CLIBPQ_H
// libpq, PostgreSQL's C client, loaded at run time (dlopen of libpq.so.5) instead of linked.
//
// Why: linking libpq maps it and its 22 dependencies (Kerberos, LDAP, GnuTLS, ...) into every
// process, the embedded default included, which then idles at 19 MiB instead of 15.6 (measured
// with the release binary); the service needs libpq only when `database.url` is set. So the
// binary links nothing of it: `cpq_load` opens the library the first time a database is used,
// and the functions below, named and typed as libpq's own (the real header, libpq-dev, gives
// every type and prototype), call through the table it fills. Pipeline mode needs libpq >= 14.
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define PQconnectStart PQconnectStart__libpq_prototype
#define PQconnectPoll PQconnectPoll__libpq_prototype
#define PQconnectdb PQconnectdb__libpq_prototype
#define PQstatus PQstatus__libpq_prototype
#define PQfinish PQfinish__libpq_prototype
#define PQsocket PQsocket__libpq_prototype
#define PQerrorMessage PQerrorMessage__libpq_prototype
#define PQsetnonblocking PQsetnonblocking__libpq_prototype
#define PQenterPipelineMode PQenterPipelineMode__libpq_prototype
#define PQpipelineSync PQpipelineSync__libpq_prototype
#define PQsendPrepare PQsendPrepare__libpq_prototype
#define PQsendQueryPrepared PQsendQueryPrepared__libpq_prototype
#define PQsendQueryParams PQsendQueryParams__libpq_prototype
#define PQflush PQflush__libpq_prototype
#define PQconsumeInput PQconsumeInput__libpq_prototype
#define PQisBusy PQisBusy__libpq_prototype
#define PQgetResult PQgetResult__libpq_prototype
#define PQresultStatus PQresultStatus__libpq_prototype
#define PQresultErrorField PQresultErrorField__libpq_prototype
#define PQresultErrorMessage PQresultErrorMessage__libpq_prototype
#define PQclear PQclear__libpq_prototype
#define PQntuples PQntuples__libpq_prototype
#define PQnfields PQnfields__libpq_prototype
#define PQfname PQfname__libpq_prototype
#define PQgetvalue PQgetvalue__libpq_prototype
#define PQgetisnull PQgetisnull__libpq_prototype
#define PQgetlength PQgetlength__libpq_prototype
#define PQcmdTuples PQcmdTuples__libpq_prototype
#define PQnotifies PQnotifies__libpq_prototype
#define PQfreemem PQfreemem__libpq_prototype
#define PQexec PQexec__libpq_prototype
#define PQexecParams PQexecParams__libpq_prototype
#define PQescapeIdentifier PQescapeIdentifier__libpq_prototype
#define PQsetNoticeProcessor PQsetNoticeProcessor__libpq_prototype
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include </usr/include/postgresql/libpq-fe.h>
#endif
#undef PQconnectStart
#undef PQconnectPoll
#undef PQconnectdb
#undef PQstatus
#undef PQfinish
#undef PQsocket
#undef PQerrorMessage
#undef PQsetnonblocking
#undef PQenterPipelineMode
#undef PQpipelineSync
#undef PQsendPrepare
#undef PQsendQueryPrepared
#undef PQsendQueryParams
#undef PQflush
#undef PQconsumeInput
#undef PQisBusy
#undef PQgetResult
#undef PQresultStatus
#undef PQresultErrorField
#undef PQresultErrorMessage
#undef PQclear
#undef PQntuples
#undef PQnfields
#undef PQfname
#undef PQgetvalue
#undef PQgetisnull
#undef PQgetlength
#undef PQcmdTuples
#undef PQnotifies
#undef PQfreemem
#undef PQexec
#undef PQexecParams
#undef PQescapeIdentifier
#undef PQsetNoticeProcessor

/// Every libpq function the client uses, filled by `cpq_load`.
struct cpq_functions {
    __typeof__(PQconnectStart__libpq_prototype) *PQconnectStart;
    __typeof__(PQconnectPoll__libpq_prototype) *PQconnectPoll;
    __typeof__(PQconnectdb__libpq_prototype) *PQconnectdb;
    __typeof__(PQstatus__libpq_prototype) *PQstatus;
    __typeof__(PQfinish__libpq_prototype) *PQfinish;
    __typeof__(PQsocket__libpq_prototype) *PQsocket;
    __typeof__(PQerrorMessage__libpq_prototype) *PQerrorMessage;
    __typeof__(PQsetnonblocking__libpq_prototype) *PQsetnonblocking;
    __typeof__(PQenterPipelineMode__libpq_prototype) *PQenterPipelineMode;
    __typeof__(PQpipelineSync__libpq_prototype) *PQpipelineSync;
    __typeof__(PQsendPrepare__libpq_prototype) *PQsendPrepare;
    __typeof__(PQsendQueryPrepared__libpq_prototype) *PQsendQueryPrepared;
    __typeof__(PQsendQueryParams__libpq_prototype) *PQsendQueryParams;
    __typeof__(PQflush__libpq_prototype) *PQflush;
    __typeof__(PQconsumeInput__libpq_prototype) *PQconsumeInput;
    __typeof__(PQisBusy__libpq_prototype) *PQisBusy;
    __typeof__(PQgetResult__libpq_prototype) *PQgetResult;
    __typeof__(PQresultStatus__libpq_prototype) *PQresultStatus;
    __typeof__(PQresultErrorField__libpq_prototype) *PQresultErrorField;
    __typeof__(PQresultErrorMessage__libpq_prototype) *PQresultErrorMessage;
    __typeof__(PQclear__libpq_prototype) *PQclear;
    __typeof__(PQntuples__libpq_prototype) *PQntuples;
    __typeof__(PQnfields__libpq_prototype) *PQnfields;
    __typeof__(PQfname__libpq_prototype) *PQfname;
    __typeof__(PQgetvalue__libpq_prototype) *PQgetvalue;
    __typeof__(PQgetisnull__libpq_prototype) *PQgetisnull;
    __typeof__(PQgetlength__libpq_prototype) *PQgetlength;
    __typeof__(PQcmdTuples__libpq_prototype) *PQcmdTuples;
    __typeof__(PQnotifies__libpq_prototype) *PQnotifies;
    __typeof__(PQfreemem__libpq_prototype) *PQfreemem;
    __typeof__(PQexec__libpq_prototype) *PQexec;
    __typeof__(PQexecParams__libpq_prototype) *PQexecParams;
    __typeof__(PQescapeIdentifier__libpq_prototype) *PQescapeIdentifier;
    __typeof__(PQsetNoticeProcessor__libpq_prototype) *PQsetNoticeProcessor;
};
extern struct cpq_functions cpq_table;

/// Opens libpq (once; later calls return the first outcome) and fills the table. Returns NULL
/// on success, else a message saying what is missing (the library, or a function: libpq < 14).
const char *cpq_load(void);

static inline PGconn *PQconnectStart(const char *conninfo) { return cpq_table.PQconnectStart(conninfo); }
static inline PostgresPollingStatusType PQconnectPoll(PGconn *conn) { return cpq_table.PQconnectPoll(conn); }
static inline PGconn *PQconnectdb(const char *conninfo) { return cpq_table.PQconnectdb(conninfo); }
static inline ConnStatusType PQstatus(const PGconn *conn) { return cpq_table.PQstatus(conn); }
static inline void PQfinish(PGconn *conn) { cpq_table.PQfinish(conn); }
static inline int PQsocket(const PGconn *conn) { return cpq_table.PQsocket(conn); }
static inline char *PQerrorMessage(const PGconn *conn) { return cpq_table.PQerrorMessage(conn); }
static inline int PQsetnonblocking(PGconn *conn, int arg) { return cpq_table.PQsetnonblocking(conn, arg); }
static inline int PQenterPipelineMode(PGconn *conn) { return cpq_table.PQenterPipelineMode(conn); }
static inline int PQpipelineSync(PGconn *conn) { return cpq_table.PQpipelineSync(conn); }
static inline int PQsendPrepare(PGconn *conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes) { return cpq_table.PQsendPrepare(conn, stmtName, query, nParams, paramTypes); }
static inline int PQsendQueryPrepared(PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues, const int *paramLengths, const int *paramFormats, int resultFormat) { return cpq_table.PQsendQueryPrepared(conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat); }
static inline int PQsendQueryParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues, const int *paramLengths, const int *paramFormats, int resultFormat) { return cpq_table.PQsendQueryParams(conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat); }
static inline int PQflush(PGconn *conn) { return cpq_table.PQflush(conn); }
static inline int PQconsumeInput(PGconn *conn) { return cpq_table.PQconsumeInput(conn); }
static inline int PQisBusy(PGconn *conn) { return cpq_table.PQisBusy(conn); }
static inline PGresult *PQgetResult(PGconn *conn) { return cpq_table.PQgetResult(conn); }
static inline ExecStatusType PQresultStatus(const PGresult *res) { return cpq_table.PQresultStatus(res); }
static inline char *PQresultErrorField(const PGresult *res, int fieldcode) { return cpq_table.PQresultErrorField(res, fieldcode); }
static inline char *PQresultErrorMessage(const PGresult *res) { return cpq_table.PQresultErrorMessage(res); }
static inline void PQclear(PGresult *res) { cpq_table.PQclear(res); }
static inline int PQntuples(const PGresult *res) { return cpq_table.PQntuples(res); }
static inline int PQnfields(const PGresult *res) { return cpq_table.PQnfields(res); }
static inline char *PQfname(const PGresult *res, int field_num) { return cpq_table.PQfname(res, field_num); }
static inline char *PQgetvalue(const PGresult *res, int tup_num, int field_num) { return cpq_table.PQgetvalue(res, tup_num, field_num); }
static inline int PQgetisnull(const PGresult *res, int tup_num, int field_num) { return cpq_table.PQgetisnull(res, tup_num, field_num); }
static inline int PQgetlength(const PGresult *res, int tup_num, int field_num) { return cpq_table.PQgetlength(res, tup_num, field_num); }
static inline char *PQcmdTuples(PGresult *res) { return cpq_table.PQcmdTuples(res); }
static inline PGnotify *PQnotifies(PGconn *conn) { return cpq_table.PQnotifies(conn); }
static inline void PQfreemem(void *ptr) { cpq_table.PQfreemem(ptr); }
static inline PGresult *PQexec(PGconn *conn, const char *query) { return cpq_table.PQexec(conn, query); }
static inline PGresult *PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues, const int *paramLengths, const int *paramFormats, int resultFormat) { return cpq_table.PQexecParams(conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat); }
static inline char *PQescapeIdentifier(PGconn *conn, const char *str, size_t len) { return cpq_table.PQescapeIdentifier(conn, str, len); }
static inline PQnoticeProcessor PQsetNoticeProcessor(PGconn *conn, PQnoticeProcessor proc, void *arg) { return cpq_table.PQsetNoticeProcessor(conn, proc, arg); }

// Holds a TCP socket's partial frames back while a batch of pipelined queries is written (one
// segment for the batch instead of one per query's Sync), then lets them go. Fails harmlessly
// (EOPNOTSUPP) on a Unix socket, where there is nothing to coalesce.
static inline int isolationd_pq_set_cork(int fd, int on) {
    return setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
}
#endif
