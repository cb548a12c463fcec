import Foundation
import IsolationdTesting
import Testing

/// `serve` raises its soft RLIMIT_NOFILE towards `server.max_connections` + headroom (never
/// past the hard limit) and logs what it got; read back from /proc/<pid>/limits.
@Suite("Open-file limit at serve start")
struct FileLimitBinaryTests {
    /// "Max open files  <soft>  <hard>  files" of /proc/<pid>/limits.
    static func openFileLimits(pid: Int32) -> (soft: String, hard: String)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
        let fields = line.dropFirst("Max open files".count).split(separator: " ")
        guard fields.count >= 2 else { return nil }
        return (String(fields[0]), String(fields[1]))
    }

    @Test("Started with a soft limit of 256, it raises it to min(hard, max_connections + 1024) and logs it")
    func raisesSoftLimit() async throws {
        let directory = NSTemporaryDirectory() + "isolationd-nofile-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let users = APITestConfiguration.users(1)
        let config = OperationsConfiguration.json(users: users, server: """
            {"host": "127.0.0.1", "port": 0, "event_loops": 1, "max_connections": 2000}
            """)
        try config.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // exec keeps the pid: /proc/<pid>/limits is then the server's.
        process.arguments = ["-c", #"ulimit -Sn 256 && exec "$0" serve --config "$1" --port 0"#,
                             BinaryServer.locateBinary(), directory + "/config.json"]
        let log = directory + "/output.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? handle.close()
        }
        var output = ""
        for _ in 0..<500 where !output.contains("isolationd: listening") {
            try await Task.sleep(for: .milliseconds(20))
            output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if !process.isRunning { break }
        }
        try #require(output.contains("isolationd: listening"), "\(output)")
        let limits = try #require(Self.openFileLimits(pid: process.processIdentifier))
        let hard = limits.hard == "unlimited" ? Int.max : try #require(Int(limits.hard))
        let expected = min(hard, 2000 + 1024)
        #expect(limits.soft == String(expected), "soft \(limits.soft), hard \(limits.hard)")
        #expect(output.contains("previous_soft=256"), "\(output)")
        #expect(output.contains("soft=\(expected)"), "\(output)")

        process.terminate()
        for _ in 0..<500 where process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
    }
}
