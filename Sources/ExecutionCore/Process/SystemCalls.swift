#if canImport(Glibc)
import Glibc
#endif

/// Thin, Foundation-free wrappers over the Linux calls the process reactor needs.
enum SystemCalls {
    /// `pidfd_open(2)` from libc when it has it (glibc 2.36+), looked up at run time so the code
    /// builds against any glibc; nil means the reactor falls back to polling `waitid`.
    typealias PidFDOpen = @convention(c) (pid_t, UInt32) -> Int32
    static let pidfdOpenFunction: PidFDOpen? = lookup("pidfd_open", as: PidFDOpen.self)

    /// GNU extensions that Swift's Glibc module does not export (they sit behind _GNU_SOURCE in
    /// the headers); all present in glibc 2.34+, looked up once.
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    static let addChdirFunction: AddChdir? = lookup("posix_spawn_file_actions_addchdir_np", as: AddChdir.self)
    static let addClosefromFunction: AddClosefrom? = lookup("posix_spawn_file_actions_addclosefrom_np", as: AddClosefrom.self)
    static let pipe2Function: Pipe2? = lookup("pipe2", as: Pipe2.self)

    private static func lookup<F>(_ name: String, as type: F.Type) -> F? {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    /// A pipe with both ends close-on-exec, atomically when libc has pipe2.
    static func makePipe() -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        if let pipe2 = pipe2Function {
            guard pipe2(&fds, O_CLOEXEC) == 0 else { return nil }
        } else {
            guard pipe(&fds) == 0 else { return nil }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        }
        return (aboveStandardStreams(fds[0]), aboveStandardStreams(fds[1]))
    }

    /// A pollable descriptor that becomes readable when `pid` exits, or -1.
    static func pidfdOpen(_ pid: pid_t) -> Int32 {
        guard let open = pidfdOpenFunction else { return -1 }
        return open(pid, 0)
    }

    /// CLOCK_MONOTONIC in nanoseconds: deadlines never jump with the wall clock.
    static func monotonicNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Moves `fd` to a number >= 3 (close-on-exec kept), so dup2 onto 0/1/2 in the child never
    /// meets an fd that already has that number.
    static func aboveStandardStreams(_ fd: Int32) -> Int32 {
        guard fd >= 0, fd < 3 else { return fd }
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, Int32(3))
        guard moved >= 0 else { return fd }
        close(fd)
        return moved
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The value of an environment variable of this process.
    static func environmentValue(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// "SIGSEGV (Segmentation fault)" for 11.
    static func signalDescription(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
            SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
            SIGSYS: "SIGSYS", SIGUSR1: "SIGUSR1", SIGUSR2: "SIGUSR2",
        ]
        let name = names[signal] ?? "signal \(signal)"
        guard let text = strsignal(signal) else { return name }
        return "\(name) (\(String(cString: text)))"
    }
}

/// A `waitpid` status decoded (the W* macros are not importable into Swift).
enum ChildExit: Sendable, Equatable {
    case exited(code: Int32)
    case signaled(signal: Int32)

    init(waitStatus status: Int32) {
        let low = status & 0x7F
        if low == 0 {
            self = .exited(code: (status >> 8) & 0xFF)
        } else {
            self = .signaled(signal: low)
        }
    }
}
