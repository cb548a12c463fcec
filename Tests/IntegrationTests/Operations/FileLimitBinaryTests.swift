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
        let users = APITestConfiguration.users(1)
        let config = OperationsConfiguration.json(users: users, server: """
            {"host": "127.0.0.1", "port": 0, "event_loops": 1, "max_connections": 2000}
            """)
        // exec keeps the pid: /proc/<pid>/limits is then the server's.
        let server = try await BinaryServer.start(configuration: config,
                                                  launcher: ["/bin/sh", "-c", #"ulimit -Sn 256 && exec "$0" "$@""#])
        let output = server.output
        try #require(output.contains("isolationd: listening"), "\(output)")
        let limits = try #require(Self.openFileLimits(pid: server.pid))
        let hard = limits.hard == "unlimited" ? Int.max : try #require(Int(limits.hard))
        let expected = min(hard, 2000 + 1024)
        #expect(limits.soft == String(expected), "soft \(limits.soft), hard \(limits.hard)")
        #expect(output.contains("previous_soft=256"), "\(output)")
        #expect(output.contains("soft=\(expected)"), "\(output)")

        #expect(await server.stop() == 0)
    }
}
