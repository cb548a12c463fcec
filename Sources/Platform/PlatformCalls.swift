#if canImport(Glibc)
import Glibc
#endif
import CPlatform

/// Process and descriptor calls of the C shim that other layers need (the agent spawner above
/// all), in Swift terms.
public enum PlatformCalls {
    /// A pipe with both ends close-on-exec (atomically: no child spawned meanwhile inherits it).
    public static func makePipe() throws(PlatformError) -> (read: Int32, write: Int32) {
        var fds: (Int32, Int32) = (-1, -1)
        let result = withUnsafeMutableBytes(of: &fds) { raw in
            cplatform_pipe_cloexec(raw.baseAddress!.assumingMemoryBound(to: Int32.self))
        }
        guard result == 0 else { throw PlatformError.lastError("pipe2") }
        return (fds.0, fds.1)
    }

    /// A descriptor that becomes readable when `pid` exits, or -1 (errno set) where the kernel
    /// has no pidfd (before Linux 5.3, or refused by a seccomp filter).
    public static func pidfdOpen(_ pid: pid_t) -> Int32 {
        cplatform_pidfd_open(pid)
    }

    /// `posix_spawn_file_actions_addchdir_np`: the child changes directory before exec.
    /// Returns 0 or an error number (ENOSYS when the C library lacks it, before glibc 2.29).
    public static func spawnAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: String) -> Int32 {
        cplatform_spawn_add_chdir(actions, path)
    }

    /// `posix_spawn_file_actions_addclosefrom_np`: the child closes every descriptor >= `from`.
    /// Returns 0 or an error number (ENOSYS when the C library lacks it, before glibc 2.34).
    public static func spawnAddClosefrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32 {
        cplatform_spawn_add_closefrom(actions, from)
    }

    /// The next pending connection of a listening socket, non-blocking and close-on-exec, or
    /// -1 with errno set (EAGAIN when none is pending).
    @inline(__always)
    public static func acceptNonBlocking(_ listenFD: Int32) -> Int32 {
        cplatform_accept_nonblocking(listenFD)
    }

    /// `acceptNonBlocking`, also giving the peer's address (IPv4 as ::ffff:a.b.c.d; zero for
    /// other families) as (high, low) 64-bit halves.
    @inline(__always)
    public static func acceptNonBlocking(_ listenFD: Int32, peer: inout (high: UInt64, low: UInt64)) -> Int32 {
        var high: UInt64 = 0, low: UInt64 = 0
        let fd = cplatform_accept_peer(listenFD, &high, &low)
        peer = (high, low)
        return fd
    }

    /// Sets O_NONBLOCK on `fd`.
    public static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }
}
