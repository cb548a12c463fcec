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
        let users = APITestConfiguration.users(1)
        // The drain delay (serving on, readiness 503) outlasts the factory's 1 s shutdown
        // deadline, so the run's end reaches the still-open stream.
        let config = OperationsConfiguration.json(users: users, server: """
            {"host": "127.0.0.1", "port": 0, "event_loops": 2, "drain": {"delay_seconds": 3, "deadline_seconds": 5}}
            """, shutdownDeadlineSeconds: 1)
        let server = try await BinaryServer.start(configuration: config)
        let alice = server.client(users[0])
        let context = try await alice.createContext(thread: "thread-drain-order")
        let engine = try await alice.createEngine(contextID: context)
        let stream = try await SSEClient.connect(port: server.port, path: "/v1/events", token: users[0].key)
        #expect(stream.status == 200)
        let run = try await alice.startRun(engineID: engine, agent: "sleep", input: #"{"seconds": 60}"#)
        let started = try await stream.events(1)
        #expect(!started.isEmpty)

        kill(server.pid, SIGTERM)
        var ready = 0
        for _ in 0..<100 {
            ready = try await server.client(nil).call("GET", "/readyz", authenticated: false).status
            if ready == 503 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(ready == 503)

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
}
