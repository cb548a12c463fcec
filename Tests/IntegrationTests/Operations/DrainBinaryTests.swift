import Glibc
import IsolationdTesting
import Testing

/// The SIGTERM drain in order: readiness 503 at once, a run still going when the factory's
/// shutdown deadline passes ends with reason `shutdown` (seen live on an open stream, which the
/// drain delay keeps open), the stream then ends with `server_shutdown`, the loops
/// stop, and the process exits 0.
@Suite("SIGTERM drain order in the real binary")
struct DrainBinaryTests {
    @Test("SIGTERM: /readyz 503, run_cancelled reason shutdown on the live stream, then server_shutdown, exit 0")
    func drainOrder() async throws {
        // The drain delay (serving on, readiness 503) outlasts the factory's 1 s shutdown
        // deadline, so the run's end reaches the still-open stream.
        let (server, users) = try await startServer(loops: 2, drainDelay: 3, drainDeadline: 5)
        let alice = server.client(users[0])
        let context = try await alice.createContext(thread: "thread-drain-order")
        let engine = try await alice.createEngine(contextID: context)
        let stream = try await SSEClient.connect(port: server.port, path: "/v1/events", token: users[0].key)
        #expect(stream.status == 200)
        let run = try await alice.startRun(engineID: engine, agent: "sleep", input: #"{"seconds": 60}"#)
        let started = try await stream.events(1)
        #expect(!started.isEmpty)

        kill(server.pid, SIGTERM)
        #expect(try await readinessTurns503(server))

        var events: [SSEEvent] = []
        while events.count < 100, let event = try await stream.nextEvent() { events.append(event) }
        stream.close()
        let cancelled = events.first { $0.event == "run_cancelled" && $0.data.contains(run) }
        #expect(cancelled?.data.contains(#""reason":"shutdown""#) == true, "\(events.map { "\($0.event) \($0.data)" })")
        #expect(events.last?.event == "server_shutdown")

        // Signal 0 only waits (a second SIGTERM would make it exit at once).
        #expect(await server.stop(signal: 0, within: .seconds(20)) == 0)
        #expect(server.output.contains("isolationd: stopped"))
    }

    @Test("through the drain delay the service takes and runs work as usual, readiness 503 meanwhile")
    func workGoesOnThroughTheDelay() async throws {
        // A delay far beyond what the work takes, even under ThreadSanitizer; a second signal
        // ends the process once the work is checked.
        let (server, users) = try await startServer(loops: 1, drainDelay: 60, drainDeadline: 5)
        let alice = server.client(users[0])
        kill(server.pid, SIGTERM)
        #expect(try await readinessTurns503(server))
        // Readiness is 503, and yet a new engine and a run of it are taken and completed.
        let context = try await alice.createContext(thread: "thread-during-delay")
        let engine = try await alice.createEngine(contextID: context)
        let run = try await alice.startRun(engineID: engine, agent: "echo", input: #"{"text": "still serving"}"#)
        #expect(try await alice.waitForTerminalRun(run, timeout: .seconds(20)).string("state") == "completed")
        #expect(try await server.client(nil).call("GET", "/readyz", authenticated: false).status == 503)
        #expect(await server.stop(signal: SIGINT, within: .seconds(10)) == 128 + SIGINT)
    }

    @Test("a second signal during the drain ends the process at once with 128 + its number")
    func secondSignalExitsAtOnce() async throws {
        // A drain delay far beyond the test's patience: only the second signal can end it.
        let (server, _) = try await startServer(loops: 1, drainDelay: 60, drainDeadline: 60)
        kill(server.pid, SIGTERM)
        #expect(try await readinessTurns503(server), "the first signal began the drain")
        #expect(await server.stop(signal: SIGINT, within: .seconds(10)) == 128 + SIGINT)
    }

    /// The release-like binary with one user, a factory shutdown deadline of 1 s and the given
    /// drain (seconds).
    private func startServer(loops: Int, drainDelay: Int, drainDeadline: Int) async throws -> (BinaryServer, [TestUser]) {
        let users = APITestConfiguration.users(1)
        let config = OperationsConfiguration.json(users: users, server: """
            {"host": "127.0.0.1", "port": 0, "event_loops": \(loops), "drain": {"delay_seconds": \(drainDelay), "deadline_seconds": \(drainDeadline)}}
            """, shutdownDeadlineSeconds: 1)
        return (try await BinaryServer.start(configuration: config), users)
    }

    /// Whether `/readyz` answers 503 (the drain began) within about 2 s.
    private func readinessTurns503(_ server: BinaryServer) async throws -> Bool {
        for _ in 0..<200 {
            if try await server.client(nil).call("GET", "/readyz", authenticated: false).status == 503 { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}
