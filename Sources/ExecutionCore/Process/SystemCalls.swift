#if canImport(Glibc)
import Glibc
#endif
import Platform

/// Thin, Foundation-free wrappers over the Linux calls the process supervisor needs (the ones
/// Glibc does not export cleanly come from `Platform`).
enum SystemCalls {
    /// A pipe with both ends close-on-exec and above the standard streams.
    static func makePipe() -> (read: Int32, write: Int32)? {
        guard let pipe = try? PlatformCalls.makePipe() else { return nil }
        return (aboveStandardStreams(pipe.read), aboveStandardStreams(pipe.write))
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
