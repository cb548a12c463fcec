import Glibc

/// What an external command did.
public struct CommandResult: Sendable {
    /// The exit status; 128 + the signal number when a signal ended it.
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// False when it had to be killed at the timeout.
    public var finished: Bool
}

public struct ExternalCommandError: Error, CustomStringConvertible {
    public var description: String
}

/// External programs for tests (openssl, curl, python3...), started with `posix_spawnp` and
/// read through close-on-exec socket pairs with `poll`, bounded in time.
///
/// Not Foundation's `Process` and `Pipe`: tearing down a pipe's dispatch read source races
/// libdispatch's epoll on Linux (a known swift-corelibs-foundation issue), and it crashed a test
/// run here in `_dispatch_event_loop_drain`.
public enum ExternalCommand {
    /// Whether `name` is on PATH.
    public static func exists(_ name: String) -> Bool {
        (try? run(["sh", "-c", "command -v \(name)"], timeout: .seconds(10)))?.status == 0
    }

    /// `run` on a thread of its own: it blocks while the child runs.
    public static func runDetached(_ arguments: [String], stdin: String? = nil,
                                   timeout: Duration = .seconds(30)) async throws -> CommandResult {
        try await BlockingIO.run { try run(arguments, stdin: stdin, timeout: timeout) }
    }

    /// Runs `arguments` (the program found on PATH) with `stdin` as its input (else /dev/null),
    /// collecting stdout and stderr; kills it after `timeout`. Blocks: call it inside
    /// `BlockingIO.run` or through `runDetached`.
    public static func run(_ arguments: [String], stdin: String? = nil,
                           timeout: Duration = .seconds(30)) throws -> CommandResult {
        guard !arguments.isEmpty else { throw ExternalCommandError(description: "no command") }
        // Socket pairs, because SOCK_CLOEXEC makes them close-on-exec atomically: a child that a
        // concurrent test spawns cannot inherit our ends and hold off the end of the output.
        let output = try socketPair(), errors = try socketPair()
        let input = try stdin.map { _ in try socketPair() }
        defer { for fd in [output.ours, errors.ours, input?.ours].compactMap({ $0 }) { close(fd) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            posix_spawn_file_actions_adddup2(&actions, input.theirs, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, output.theirs, 1)
        posix_spawn_file_actions_adddup2(&actions, errors.theirs, 2)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        for fd in [output.theirs, errors.theirs, input?.theirs].compactMap({ $0 }) { close(fd) }
        guard spawned == 0 else {
            throw ExternalCommandError(description: "posix_spawnp \(arguments[0]): \(String(cString: strerror(spawned)))")
        }

        if let input, let stdin {
            writeAll(Array(stdin.utf8), to: input.ours)
            shutdown(input.ours, Int32(SHUT_WR))
        }
        let deadline = ContinuousClock.now + timeout
        var collected = ([UInt8](), [UInt8]())
        var open = [output.ours, errors.ours]
        var finished = true
        while !open.isEmpty {
            let left = deadline - ContinuousClock.now
            if left <= .zero, finished {
                // Out of time: kill it, then read what it wrote until its ends close.
                kill(pid, SIGKILL)
                finished = false
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let wait = finished ? Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1) : 1000
            guard poll(&fds, nfds_t(fds.count), wait) >= 0 || errno == EINTR else { break }
            for entry in fds where entry.revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 65_536)
                let count = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if entry.fd == output.ours { collected.0 += chunk[0..<count] } else { collected.1 += chunk[0..<count] }
                } else if count == 0 || errno != EINTR {
                    open.removeAll { $0 == entry.fd }
                }
            }
            if !finished, ContinuousClock.now > deadline + .seconds(5) { break }  // a grandchild holds them
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return CommandResult(status: exit, stdout: String(decoding: collected.0, as: UTF8.self),
                             stderr: String(decoding: collected.1, as: UTF8.self), finished: finished)
    }

    private static func socketPair() throws -> (ours: Int32, theirs: Int32) {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else {
            throw ExternalCommandError(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { return }
        }
    }
}
