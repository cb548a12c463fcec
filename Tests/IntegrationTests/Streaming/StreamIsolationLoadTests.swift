import ExecutionAPI
import ExecutionCore
import IsolationdTesting
import Testing

@Suite("Streams under load: many users at once")
struct StreamIsolationLoadTests {
    @Test("50 users × 2 engines × 3 runs at once: every user's SSE subscriber gets exactly its own events, ids contiguous")
    func fiftyUsers() async throws {
        let users = (1...50).map { "user-\($0 < 10 ? "0" : "")\($0)" }
        let world = try StreamTestWorld(users: users)
        try await world.serve { _, port in
            var clients: [String: SSEClient] = [:]
            for user in users {
                let client = try await world.connect(port, "/v1/events", user: user, timeout: .seconds(20))
                #expect(client.status == 200)
                clients[user] = client
            }
            let agents = ["echo", "tools", "echo"]
            let runsPerUser = 2 * agents.count
            // Every user starts its runs at the same time as every other user.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for user in users {
                    group.addTask {
                        let engines = [try world.engine(user: user, thread: "thread-1"),
                                       try world.engine(user: user, thread: "thread-2")]
                        for agent in agents {
                            for engine in engines { _ = try engine.startRun(agent: agent, input: .object(["who": .string(user)])) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let received = try await withThrowingTaskGroup(of: (String, [SSEEvent]).self) { group in
                for (user, client) in clients {
                    group.addTask {
                        var events: [SSEEvent] = []
                        var terminals = 0
                        // Bounded: at most 1000 events, each read bounded by the client's timeout.
                        while terminals < runsPerUser, events.count < 1000, let event = try await client.nextEvent() {
                            events.append(event)
                            if ["agent_completed", "agent_error", "run_cancelled", "run_timed_out"].contains(event.event) { terminals += 1 }
                        }
                        return (user, events)
                    }
                }
                var all: [String: [SSEEvent]] = [:]
                for try await (user, events) in group { all[user] = events }
                return all
            }
            for client in clients.values { client.close() }
            for user in users {
                let events = received[user] ?? []
                let expected = world.hub.logInfo(userID: user)?.lastID ?? 0
                // (3 + 8 + 3) events per engine: echo emits 3, tools 8.
                #expect(expected == 28, "\(user)")
                #expect(events.map(\.numericID) == (1...expected).map { Optional($0) }, "\(user)")
                #expect(events.allSatisfy { $0.json?["user_id"] == .string(user) }, "\(user)")
                #expect(events.filter { $0.event == "agent_completed" }.count == runsPerUser, "\(user)")
            }
            #expect(await eventually { world.hub.statistics.liveSubscribers == 0 })
        }
    }
}
