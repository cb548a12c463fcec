#ifndef ISOLATIOND_CPLATFORM_SHIM_H
#define ISOLATIOND_CPLATFORM_SHIM_H
// The Linux calls Swift's Glibc module does not export cleanly, as small `static inline`
// functions (compiled into their Swift callers, no library of their own):
// - epoll and eventfd live in headers the Glibc module map leaves out;
// - `struct epoll_event` is packed on x86-64 (12 bytes, a misaligned 64-bit field), a layout
//   Swift must never touch: `cplatform_epoll_wait` hands events out as a plain, aligned struct;
// - pipe2, pidfd_open, prctl(PR_SET_NAME) and the posix_spawn `_np` file actions sit behind
//   _GNU_SOURCE or have no glibc wrapper before 2.36.

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

// ---- epoll --------------------------------------------------------------------------------

/// One ready event as Swift sees it: naturally aligned, 16 bytes.
typedef struct {
    uint64_t data;
    uint32_t events;
    uint32_t reserved;
} cplatform_ready_event;

static inline int cplatform_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

/// epoll_ctl with the event built here, so Swift never lays out `struct epoll_event`.
static inline int cplatform_epoll_ctl(int epoll_fd, int operation, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epoll_fd, operation, fd, &event);
}

static inline int cplatform_epoll_add(int epoll_fd, int fd, uint32_t events, uint64_t data) {
    return cplatform_epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, events, data);
}

static inline int cplatform_epoll_modify(int epoll_fd, int fd, uint32_t events, uint64_t data) {
    return cplatform_epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, events, data);
}

static inline int cplatform_epoll_delete(int epoll_fd, int fd) {
    return cplatform_epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, 0, 0);
}

/// epoll_wait into the caller's buffer of `capacity` plain events. The kernel writes its
/// `struct epoll_event` array (never larger: 12 or 16 bytes an entry) at the start of that same
/// buffer; the entries are then widened in place from the last to the first, which never
/// overwrites an entry not yet read (entry i moves from offset 12*i to 16*i). No second buffer,
/// no copy when nothing is ready. Returns the count, or -1 with errno set.
static inline int cplatform_epoll_wait(int epoll_fd, cplatform_ready_event *ready, int capacity, int timeout_ms) {
    _Static_assert(sizeof(struct epoll_event) <= sizeof(cplatform_ready_event), "epoll_event fits");
    int count = epoll_wait(epoll_fd, (struct epoll_event *)(void *)ready, capacity, timeout_ms);
    for (int index = count - 1; index >= 0; index--) {
        struct epoll_event raw;
        memcpy(&raw, (const char *)ready + (size_t)index * sizeof(struct epoll_event), sizeof raw);
        cplatform_ready_event plain;
        plain.data = raw.data.u64;
        plain.events = raw.events;
        plain.reserved = 0;
        memcpy(&ready[index], &plain, sizeof plain);
    }
    return count;
}

static const uint32_t cplatform_epoll_in = EPOLLIN;
static const uint32_t cplatform_epoll_out = EPOLLOUT;
static const uint32_t cplatform_epoll_rdhup = EPOLLRDHUP;
static const uint32_t cplatform_epoll_hup = EPOLLHUP;
static const uint32_t cplatform_epoll_err = EPOLLERR;
static const uint32_t cplatform_epoll_et = EPOLLET;
static const uint32_t cplatform_epoll_exclusive = EPOLLEXCLUSIVE;

// ---- eventfd ------------------------------------------------------------------------------

static inline int cplatform_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/// Adds one to the counter (the fd becomes readable). Returns 0 or -1 with errno set.
static inline int cplatform_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t written;
    do { written = write(fd, &one, sizeof one); } while (written < 0 && errno == EINTR);
    return written == (ssize_t)sizeof one ? 0 : -1;
}

/// Reads and resets the counter (0 when it was already zero: the fd is non-blocking).
static inline uint64_t cplatform_eventfd_drain(int fd) {
    uint64_t value = 0;
    ssize_t got;
    do { got = read(fd, &value, sizeof value); } while (got < 0 && errno == EINTR);
    return got == (ssize_t)sizeof value ? value : 0;
}

// ---- clock --------------------------------------------------------------------------------

/// CLOCK_MONOTONIC in nanoseconds (a vDSO call, no system call).
static inline uint64_t cplatform_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

// ---- processes and descriptors -------------------------------------------------------------

// Declared here because <unistd.h> hides pipe2 without _GNU_SOURCE (in glibc since 2.9).
extern int pipe2(int pipe_fds[2], int flags);

// Declared here because <sys/socket.h> hides accept4 without _GNU_SOURCE (in glibc since 2.10).
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC. Returns the descriptor or -1 with errno set.
static inline int cplatform_accept_nonblocking(int listen_fd) {
    return accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/// accept4 that also reports the peer's address as 128 bits: an IPv6 address as it is, an
/// IPv4 one (or an IPv4-mapped IPv6 one) as ::ffff:a.b.c.d, anything else as zero.
static inline int cplatform_accept_peer(int listen_fd, uint64_t *peer_high, uint64_t *peer_low) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    int fd = accept4(listen_fd, (struct sockaddr *)&address, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    *peer_high = 0;
    *peer_low = 0;
    if (fd < 0) return fd;
    if (address.ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&address;
        *peer_low = 0x0000FFFF00000000ULL | (uint64_t)ntohl(v4->sin_addr.s_addr);
    } else if (address.ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&address;
        const unsigned char *bytes = v6->sin6_addr.s6_addr;
        for (int index = 0; index < 8; index++) *peer_high = (*peer_high << 8) | bytes[index];
        for (int index = 8; index < 16; index++) *peer_low = (*peer_low << 8) | bytes[index];
    }
    return fd;
}

/// A pipe with both ends close-on-exec, atomically. Returns 0 or -1 with errno set.
static inline int cplatform_pipe_cloexec(int pipe_fds[2]) {
    return pipe2(pipe_fds, O_CLOEXEC);
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on every architecture (Linux 5.3+) */
#endif

/// A descriptor that becomes readable when `pid` exits, or -1 with errno set (ENOSYS before
/// Linux 5.3). The system call directly: glibc has a wrapper only since 2.36.
static inline int cplatform_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

// GNU extensions of posix_spawn (glibc 2.29 and 2.34), declared weak: a C library without them
// leaves the address null, and the wrappers answer ENOSYS instead of failing to link or load.
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path)
    __attribute__((weak));
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from)
    __attribute__((weak));

static inline int cplatform_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    if (!posix_spawn_file_actions_addchdir_np) return ENOSYS;
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

static inline int cplatform_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int from) {
    if (!posix_spawn_file_actions_addclosefrom_np) return ENOSYS;
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

// ---- threads ------------------------------------------------------------------------------

/// Names the calling thread (as `top -H`, `ps -L` and debuggers show it); at most 15 bytes kept.
static inline void cplatform_set_thread_name(const char *name) {
    (void)prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}

#endif
