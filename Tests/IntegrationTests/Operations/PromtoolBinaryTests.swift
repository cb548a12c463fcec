import IsolationdTesting
import Testing

/// The real binary's `/metrics` judged by Prometheus's own checker, and its version as
/// `--version` and `isolationd_build_info` say it.
@Suite("Prometheus exposition of the real binary, checked by promtool")
struct PromtoolBinaryTests {
    /// promtool comes from Debian's `prometheus` package. Without it the check below is reported
    /// as skipped (Swift Testing lists it so), never as passed.
    static var promtoolAvailable: Bool { ExternalCommand.exists("promtool") }

    static let revision = "rev-0a1b2c3"

    /// What `isolationd --version` prints, trimmed.
    static func binaryVersion() async throws -> String {
        let result = try await ExternalCommand.runDetached([BinaryServer.locateBinary(), "--version"])
        #expect(result.status == 0, "isolationd --version: \(result.stderr)")
        return String(result.stdout.filter { !$0.isNewline })
    }

    @Test("isolationd --version prints a version, and build_info exports the same with the revision from ISOLATIOND_REVISION")
    func versionAndBuildInfo() async throws {
        let version = try await Self.binaryVersion()
        #expect(!version.isEmpty && version.first?.isNumber == true, "version \(version)")
        #expect(version.split(separator: ".").count == 3, "version \(version)")

        let users = APITestConfiguration.users(1)
        let server = try await BinaryServer.start(configuration: APITestConfiguration.json(users: users),
                                                  environment: ["ISOLATIOND_REVISION": Self.revision])
        let scrape = try await server.client(nil).call("GET", "/metrics", authenticated: false)
        #expect(scrape.status == 200)
        #expect(scrape.text.contains(#"isolationd_build_info{version="\#(version)",revision="\#(Self.revision)"} 1"#),
                "\(scrape.text.prefix(400))")
        #expect(await server.stop() == 0)

        let plain = try await BinaryServer.start(configuration: APITestConfiguration.json(users: users))
        let unknown = try await plain.client(nil).call("GET", "/metrics", authenticated: false)
        #expect(unknown.text.contains(#"isolationd_build_info{version="\#(version)",revision="unknown"} 1"#))
        #expect(await plain.stop() == 0)
    }

    @Test("promtool check metrics accepts /metrics after requests, runs and streams of both transports",
          .enabled(if: PromtoolBinaryTests.promtoolAvailable, "promtool is not installed (Debian package prometheus)"))
    func promtoolAccepts() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await APITestConfiguration.start(users: users)
        let alice = server.client(users[0])
        let sse = try await SSEClient.connect(port: server.port, path: "/v1/events", token: users[0].key)
        #expect(sse.status == 200)
        let socket = try await WebSocketTestClient.connect(port: server.port, path: "/v1/events/ws",
                                                           extraHeaders: [("Authorization", "Bearer \(users[0].key)")])
        #expect(socket.handshake.status == 101)

        let context = try await alice.createContext(thread: "thread-promtool")
        let engine = try await alice.createEngine(contextID: context)
        let completed = try await alice.startRun(engineID: engine, agent: "tools", input: #"{"query": "promtool"}"#)
        #expect(try await alice.waitForTerminalRun(completed).string("state") == "completed")
        let slow = try await alice.startRun(engineID: engine, agent: "sleep", input: #"{"seconds": 30}"#)
        #expect(try await alice.call("POST", "/v1/runs/\(slow)/cancel").status < 300)
        #expect(try await alice.waitForTerminalRun(slow).string("state") == "cancelled")
        _ = try await sse.events(1)
        _ = try await socket.readDataOrClose()
        _ = try await server.client(users[1]).call("GET", "/v1/runs/\(completed)")  // 404 for another user
        _ = try await server.client(nil).call("GET", "/v1/agents", authenticated: false)  // 401

        let scrape = try await server.client(nil).call("GET", "/metrics", authenticated: false)
        #expect(scrape.status == 200)
        let text = scrape.text
        let check = try await ExternalCommand.runDetached(["promtool", "check", "metrics"], stdin: text)
        #expect(check.status == 0, "promtool check metrics:\n\(check.stdout)\(check.stderr)")
        #expect(check.stdout.isEmpty && check.stderr.isEmpty, "promtool said:\n\(check.stdout)\(check.stderr)")

        // Every family declared has samples (so promtool judged each one), the process_* ones too.
        let declared = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(declared.count >= 40)
        for family in declared {
            #expect(text.split(separator: "\n").contains { !$0.hasPrefix("#") && $0.hasPrefix(family) }, "\(family) has no sample")
        }
        for family in ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                       "process_open_fds", "process_max_fds", "process_start_time_seconds", "isolationd_build_info",
                       "isolationd_log_lines_dropped_total"] {
            #expect(declared.contains(Substring(family)), "\(family) missing")
        }
        #expect((MetricsBinaryTests.value(text, #"isolationd_stream_events_written_total{transport="websocket"}"#) ?? 0) >= 1)
        #expect((MetricsBinaryTests.value(text, #"isolationd_runs_finished_total{outcome="cancelled"}"#) ?? 0) == 1)

        sse.close()
        socket.connection.close()
        #expect(await server.stop() == 0)
    }
}
