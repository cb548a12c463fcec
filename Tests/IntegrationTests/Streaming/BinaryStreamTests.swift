import ExecutionCore
import Glibc
import IsolationdTesting
import Testing

/// The stream routes as wired into the real binary: runs started over REST, watched over SSE,
/// and a SIGTERM drain that ends a live stream with `server_shutdown` and exits 0.
@Suite("Event streams in the real binary")
struct BinaryStreamTests {
    @Test("REST run -> /v1/runs/{id}/events and /v1/events; another user sees nothing; SIGTERM ends streams with server_shutdown")
    func binaryStreams() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await APITestConfiguration.start(users: users)
        let alice = server.client(users[0])
        let watcher = try await SSEClient.connect(port: server.port, path: "/v1/events", token: users[0].key)
        let other = try await SSEClient.connect(port: server.port, path: "/v1/events", token: users[1].key)
        #expect(watcher.status == 200)
        let context = try await alice.createContext(thread: "stream-thread")
        let engine = try await alice.createEngine(contextID: context)
        let run = try await alice.startRun(engineID: engine, agent: "tools", input: #"{"query": "streams"}"#)

        let runStream = try await SSEClient.connect(port: server.port, path: "/v1/runs/\(run)/events", token: users[0].key)
        let runEvents = try await runStream.remainingItems().compactMap { item -> SSEEvent? in
            if case .event(let e) = item { e } else { nil }
        }
        runStream.close()
        #expect(runEvents.first?.event == "agent_started")
        #expect(runEvents.last?.event == "agent_completed")
        let foreign = try await SSEClient.connect(port: server.port, path: "/v1/runs/\(run)/events", token: users[1].key)
        #expect(foreign.status == 404)
        foreign.close()

        let live = try await watcher.events(runEvents.count)
        #expect(live.map(\.numericID) == runEvents.map(\.numericID))

        // Drain: the live stream gets its final event, the process exits 0.
        kill(server.pid, SIGTERM)
        var last: SSEEvent?
        while let event = try await watcher.nextEvent() { last = event }
        #expect(last?.event == "server_shutdown")
        #expect(last?.json?["last_event_id"] == .integer(Int64(runEvents.count)))
        var otherEvents: [SSEEvent] = []
        while let event = try await other.nextEvent() { otherEvents.append(event) }
        #expect(otherEvents.map(\.event) == ["server_shutdown"])
        watcher.close()
        other.close()
        // Signal 0 only waits (a second SIGTERM would make it exit at once).
        let status = await server.stop(signal: 0)
        #expect(status == 0)
    }
}
