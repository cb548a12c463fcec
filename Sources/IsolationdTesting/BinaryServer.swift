import Glibc
import Synchronization

/// The real `isolationd` binary, started with a temporary configuration on an ephemeral port
/// (`--port 0`); its port is read from its own "listening" log line. Always stopped by its pid
/// (SIGTERM, then SIGKILL after a bound), and reaped.
public final class BinaryServer: Sendable {
    public let pid: pid_t
    public let port: Int
    /// The temporary directory holding `config.json` and `output.log`.
    public let directory: String
    private let reaped = Atomic<Bool>(false)

    public enum StartError: Error, CustomStringConvertible {
        case binaryMissing(String)
        case system(String, Int32)
        case noPort(log: String)
        case exited(status: Int32, log: String)
        public var description: String {
            switch self {
            case .binaryMissing(let path): "no isolationd binary at \(path): run `swift build` first (or set ISOLATIOND_BINARY)"
            case .system(let call, let code): "\(call) failed: errno \(code)"
            case .noPort(let log): "the server logged no port in time; its output:\n\(log)"
            case .exited(let status, let log): "the server exited (status \(status)) before listening; its output:\n\(log)"
            }
        }
    }

    init(pid: pid_t, port: Int, directory: String) {
        self.pid = pid
        self.port = port
        self.directory = directory
    }

    /// `ISOLATIOND_BINARY`, else `isolationd` beside the running test bundle (`.build/<triple>/debug`).
    public static func locateBinary() -> String {
        if let path = getenv("ISOLATIOND_BINARY") { return String(cString: path) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return "isolationd" }
        let exe = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var directory = exe[..<(exe.lastIndex(of: "/") ?? exe.endIndex)]
        // The bundle may be a directory (…/isolationdPackageTests.xctest/…) on some layouts.
        if let bundle = firstIndex(of: ".xctest", in: directory) {
            directory = directory[..<bundle]
            directory = directory[..<(directory.lastIndex(of: "/") ?? directory.endIndex)]
        }
        return directory + "/isolationd"
    }

    /// Writes `configuration` to a fresh temporary directory and starts the binary on port 0 with
    /// it, plus `environment` (nothing else of the test's environment but PATH and LANG).
    /// `launcher`, if given, runs first and must `exec` the rest of its arguments, so that the
    /// pid stays the server's (e.g. `["/bin/sh", "-c", #"ulimit -Sn 256 && exec "$0" "$@""#]`).
    public static func start(configuration: String, environment: [String: String] = [:],
                             binary: String = BinaryServer.locateBinary(), launcher: [String] = [],
                             timeout: Duration = .seconds(30)) async throws -> BinaryServer {
        guard access(binary, X_OK) == 0 else { throw StartError.binaryMissing(binary) }
        var template = Array("/tmp/isolationd-it-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw StartError.system("mkdtemp", errno) }
        let directory = String(cString: made)
        try write(configuration, to: directory + "/config.json")

        var env = environment
        for name in ["PATH", "LANG"] where env[name] == nil {
            if let value = getenv(name) { env[name] = String(cString: value) }
        }
        let arguments = launcher + [binary, "serve", "--config", directory + "/config.json", "--port", "0"]
        let pid = try spawn(arguments, environment: env, output: directory + "/output.log")

        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let log = readText(directory + "/output.log")
            if let port = listeningPort(in: log) { return BinaryServer(pid: pid, port: port, directory: directory) }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                removeDirectory(directory)
                throw StartError.exited(status: status, log: log)
            }
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                // Cancelled while waiting: the server must not outlive the test.
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                removeDirectory(directory)
                throw error
            }
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let log = readText(directory + "/output.log")
        removeDirectory(directory)
        throw StartError.noPort(log: log)
    }

    /// Removes the temporary directory `start` made (its two files, then the directory).
    static func removeDirectory(_ directory: String) {
        unlink(directory + "/config.json")
        unlink(directory + "/output.log")
        rmdir(directory)
    }

    /// The port of the service's `listening … port=N` line (text log format), or of its
    /// `"msg":"listening",…,"port":N` object (JSON log format).
    static func listeningPort(in log: String) -> Int? {
        for line in log.split(separator: "\n") {
            let marker: String
            if firstIndex(of: "isolationd: listening", in: line) != nil {
                marker = "port="
            } else if firstIndex(of: #""logger":"isolationd","msg":"listening""#, in: line) != nil {
                marker = #""port":"#
            } else {
                continue
            }
            guard let start = firstIndex(of: marker, in: line) else { continue }
            let digits = line[start...].dropFirst(marker.count).prefix { $0.isNumber }
            if let port = Int(digits), port > 0 { return port }
        }
        return nil
    }

    /// Where `needle` starts in `text` (no Foundation here).
    public static func firstIndex(of needle: String, in text: Substring) -> Substring.Index? {
        var index = text.startIndex
        while index < text.endIndex {
            if text[index...].hasPrefix(needle) { return index }
            index = text.index(after: index)
        }
        return nil
    }

    /// Everything the server wrote to stdout and stderr so far.
    public var output: String { BinaryServer.readText(directory + "/output.log") }

    /// Sends `signal` (SIGTERM: a graceful drain) and waits up to `within` for the exit; then
    /// SIGKILL. Returns the exit status (`WEXITSTATUS`) or nil if it had to be killed.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, within: Duration = .seconds(20)) async -> Int32? {
        guard !reaped.load(ordering: .acquiring) else { return nil }
        kill(pid, signal)
        let deadline = ContinuousClock.now + within
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped.store(true, ordering: .releasing)
                return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : nil
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        reaped.store(true, ordering: .releasing)
        return nil
    }

    /// Kills the process if it still runs, then removes the temporary directory.
    deinit {
        if !reaped.load(ordering: .acquiring) {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        BinaryServer.removeDirectory(directory)
    }

    // MARK: process plumbing

    static func spawn(_ arguments: [String], environment: [String: String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        guard result == 0 else { throw StartError.system("posix_spawn", result) }
        return pid
    }

    static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StartError.system("open \(path)", errno) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 { if errno == EINTR { continue }; throw StartError.system("write", errno) }
            offset += written
        }
    }

    static func readText(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
