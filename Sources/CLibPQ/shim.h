#ifndef ISOLATIOND_CLIBPQ_SHIM_H
#define ISOLATIOND_CLIBPQ_SHIM_H
// libpq, PostgreSQL's C client (libpq-dev; pkg-config `libpq`). Pipeline mode needs libpq >= 14.
#include <libpq-fe.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

// Holds a TCP socket's partial frames back while a batch of pipelined queries is written (one
// segment for the batch instead of one per query's Sync), then lets them go. Fails harmlessly
// (EOPNOTSUPP) on a Unix socket, where there is nothing to coalesce.
static inline int isolationd_pq_set_cork(int fd, int on) {
    return setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
}
#endif
