import Foundation
import IsolationdTesting
import Synchronization
import Testing
import VisibleLocks

/// A child process's outcome.
struct CommandResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    /// False when it had to be killed at the timeout.
    var finished: Bool
}

/// Runs external programs (openssl, curl, python3) for the operations tests, bounded in time.
enum Command {
    static func exists(_ name: String) -> Bool {
        (try? run(["sh", "-c", "command -v \(name)"], timeout: 10))?.status == 0
    }

    /// Runs `arguments` through /usr/bin/env with `stdin` as input; kills it after `timeout`.
    static func run(_ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 30) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        // Read both pipes while the child runs, so a chatty child never blocks on a full pipe.
        let collected = OutputCollector()
        out.fileHandleForReading.readabilityHandler = { collected.append(stdout: $0.availableData) }
        err.fileHandleForReading.readabilityHandler = { collected.append(stderr: $0.availableData) }
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let finished = !process.isRunning
        if !finished { process.terminate() }
        process.waitUntilExit()
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
        collected.append(stdout: out.fileHandleForReading.readDataToEndOfFile())
        collected.append(stderr: err.fileHandleForReading.readDataToEndOfFile())
        let (stdout, stderr) = collected.texts
        return CommandResult(status: process.terminationStatus, stdout: stdout, stderr: stderr, finished: finished)
    }

    /// `run` on a thread of its own (it blocks while the child runs; a detached task would still
    /// block one of the cooperative pool's threads, two on this machine, and stall other tests).
    static func runDetached(_ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 30) async throws -> CommandResult {
        try await BlockingIO.run { try run(arguments, stdin: stdin, timeout: timeout) }
    }
}

/// Bytes read from a child's pipes on Foundation's reader threads.
private final class OutputCollector: Sendable {
    private let state = VisibleMutex<(Data, Data)>((Data(), Data()))
    func append(stdout data: Data) { state.withLock { $0.0.append(data) } }
    func append(stderr data: Data) { state.withLock { $0.1.append(data) } }
    var texts: (String, String) {
        state.withLock { (String(decoding: $0.0, as: UTF8.self), String(decoding: $0.1, as: UTF8.self)) }
    }
}


/// A self-signed certificate for 127.0.0.1 / localhost made with the openssl CLI in a fresh
/// temporary directory, removed on deinit.
final class ThrowawayCertificate: Sendable {
    let directory: String
    var certificatePath: String { directory + "/cert.pem" }
    var keyPath: String { directory + "/key.pem" }

    init() throws {
        directory = NSTemporaryDirectory() + "isolationd-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = try Command.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ], timeout: 30)
        try #require(result.status == 0, "openssl req failed: \(result.stderr)")
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

/// The integration configuration (`APITestConfiguration.json`) with its `server` or `logging`
/// section replaced.
enum OperationsConfiguration {
    static let defaultServer = #""server": {"host": "127.0.0.1", "port": 0, "event_loops": 2, "drain": {"delay_seconds": 0, "deadline_seconds": 5}, "timeouts": {"request_head_seconds": 60}}"#
    static let defaultLogging = #""logging": {"level": "info", "format": "text", "access_log": false}"#

    static func json(users: [TestUser], server: String? = nil, logging: String? = nil,
                     shutdownDeadlineSeconds: Int? = nil) -> String {
        var text = APITestConfiguration.json(users: users)
        precondition(text.contains(defaultServer) && text.contains(defaultLogging), "APITestConfiguration changed its sections")
        if let server { text = text.replacingOccurrences(of: defaultServer, with: #""server": "# + server) }
        if let logging { text = text.replacingOccurrences(of: defaultLogging, with: #""logging": "# + logging) }
        if let shutdownDeadlineSeconds {
            text = text.replacingOccurrences(of: #""shutdown_deadline_seconds": 2"#,
                                             with: #""shutdown_deadline_seconds": \#(shutdownDeadlineSeconds)"#)
        }
        return text
    }

    /// The `tls_port=N` of the binary's text-format `listening` line.
    static func tlsPort(in output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("isolationd: listening") }),
              let range = line.range(of: "tls_port=") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
}
