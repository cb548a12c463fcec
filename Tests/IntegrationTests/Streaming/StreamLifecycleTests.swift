import ExecutionAPI
import ExecutionCore
import Glibc
import HTTPServer
import IsolationdTesting
import Testing

@Suite("Stream lifecycle: slow consumers, vanishing clients, drain, run streams")
struct StreamLifecycleTests {
    @Test("a client that stops reading is cut off with a final error event; publishing never waits; no subscriber is left")
    func slowConsumer() async throws {
        // A deep hub queue, so the connection's bounded buffer is what fills first.
        let world = try StreamTestWorld(users: ["alice-01", "bob-02"],
                                        hub: EventHubConfiguration(subscriberQueueCapacity: 100_000, maxSubscribersPerUser: 10))
        var configuration = HTTPServerConfiguration.testing
        configuration.outboundBufferBytes = 64 * 1024
        try await world.serve(configuration: configuration) { _, port in
            let stalled = try await world.connect(port, "/v1/events", user: "alice-01", timeout: .seconds(5))
            defer { stalled.close() }
            // It simply does not read: one batch (128 events of 2 KB) is more than the 64 KiB
            // the connection may queue. (Shrinking SO_RCVBUF on the live socket drove the server's
            // TCP into zero-window probing with backoff, and reading the rest took up to 100 s.)
            let healthy = try await world.connect(port, "/v1/events", user: "bob-02")
            defer { healthy.close() }
            let payload = JSONValue.string(String(repeating: "x", count: 2000))
            let start = ContinuousClock.now
            for _ in 0..<4000 { world.publish(user: "alice-01", data: .object(["blob": payload])) }
            let publishing = ContinuousClock.now - start
            #expect(publishing < .seconds(5), "publishing must not wait on the stalled reader")
            #expect(await eventually { world.streamCounters.statistics.endedSlowConsumer == 1 })
            #expect(await eventually { world.hub.logInfo(userID: "alice-01")?.subscriberCount == 0 })
            // Now read what was buffered: events in order, then the final error event, then the end.
            var lastID: UInt64 = 0
            var final: SSEEvent?
            while let event = try await stalled.nextEvent() {
                if event.event == "error" { final = event; break }
                let id = try #require(event.numericID)
                #expect(id == lastID + 1)
                lastID = id
            }
            let error = try #require(final)
            #expect(error.json?["reason"] == .string("slow_consumer"))
            #expect(error.json?["last_event_id"] == .integer(Int64(lastID)))
            #expect(lastID < 4000)
            #expect(try await stalled.next() == nil)
            // The other user's stream is untouched.
            world.publish(user: "bob-02")
            #expect(try await healthy.nextEvent()?.numericID == 1)
        }
    }

    @Test("a client vanishing mid-stream leaves no subscriber behind")
    func vanishingClient() async throws {
        let world = try StreamTestWorld(users: ["alice-01"])
        try await world.serve { _, port in
            var clients: [SSEClient] = []
            for path in ["/v1/events", "/v1/events?thread_id=thread-a", "/v1/events?after=0"] {
                clients.append(try await world.connect(port, path, user: "alice-01"))
            }
            #expect(world.hub.statistics.liveSubscribers == 3)
            world.publish(user: "alice-01")
            for client in clients { #expect(try await client.nextEvent()?.numericID == 1) }
            for client in clients { client.close() }
            // The next writes fail (or the loop sees the hang-up) and every subscription ends.
            for _ in 0..<20 { world.publish(user: "alice-01") }
            #expect(await eventually { world.hub.statistics.liveSubscribers == 0 })
            #expect(await eventually { world.streamCounters.liveStreamCount == 0 })
            #expect(world.streamCounters.statistics.endedClientGone == 3)
        }
    }

    @Test("a drain ends live streams with a final server_shutdown event after every queued event")
    func drain() async throws {
        let world = try StreamTestWorld(users: ["alice-01"])
        try await world.serve { server, port in
            let client = try await world.connect(port, "/v1/events", user: "alice-01")
            defer { client.close() }
            for _ in 0..<5 { world.publish(user: "alice-01") }
            let draining = Task { await server.drain() }
            var items: [SSEItem] = []
            while let item = try await client.next() { items.append(item) }
            await draining.value
            let events = items.compactMap { item -> SSEEvent? in if case .event(let e) = item { e } else { nil } }
            #expect(events.dropLast().map(\.numericID) == [1, 2, 3, 4, 5])
            #expect(events.last?.event == "server_shutdown")
            #expect(events.last?.json?["last_event_id"] == .integer(5))
            #expect(await eventually { world.hub.statistics.liveSubscribers == 0 })
        }
    }

    @Test("a run stream replays from the run's start and ends after its terminal event; other users get 404")
    func runStream() async throws {
        let world = try StreamTestWorld(users: ["alice-01", "bob-02"])
        try await world.serve { _, port in
            let engine = try world.engine(user: "alice-01", thread: "thread-r")
            world.publish(user: "alice-01", execution: "unrelated")
            let finished = try engine.startRun(agent: "echo", input: .object(["say": .string("hi")]))
            #expect(await eventually { engine.run(id: finished.id)?.state == .completed })
            // Ended before the stream opened: replayed whole, then the stream ends.
            let replay = try await world.connect(port, "/v1/runs/\(finished.id)/events", user: "alice-01")
            let replayed = try await replay.remainingItems().compactMap { item -> SSEEvent? in
                if case .event(let e) = item { e } else { nil }
            }
            replay.close()
            #expect(replayed.map(\.event) == ["agent_started", "agent_thinking", "agent_completed"])
            #expect(replayed.allSatisfy { $0.json?["execution_id"] == .string(finished.id) })

            // Opened while running: live events until the terminal one, then the end.
            let other = try await world.connect(port, "/v1/runs/\(finished.id)/events", user: "bob-02")
            #expect(other.status == 404)
            other.close()
            let running = try engine.startRun(agent: "tools", input: .object(["query": .string("isolation")]))
            let live = try await world.connect(port, "/v1/runs/\(running.id)/events", user: "alice-01")
            let liveEvents = try await live.remainingItems().compactMap { item -> SSEEvent? in
                if case .event(let e) = item { e } else { nil }
            }
            live.close()
            #expect(liveEvents.first?.event == "agent_started")
            #expect(liveEvents.last?.event == "agent_completed")
            #expect(liveEvents.filter { $0.event == "tool_completed" }.count == 2)
            let ids = liveEvents.compactMap(\.numericID)
            #expect(ids == ids.sorted())
            #expect(await eventually { world.hub.statistics.liveSubscribers == 0 })
            #expect(world.streamCounters.statistics.endedRunFinished == 2)
        }
    }

    @Test("a run whose start fell out of the ring says so with a gap, and one wholly gone ends at once")
    func runStreamGaps() async throws {
        let world = try StreamTestWorld(users: ["alice-01"], hub: EventHubConfiguration(replayRingSize: 4))
        try await world.serve { _, port in
            let engine = try world.engine(user: "alice-01", thread: "thread-r")
            let old = try engine.startRun(agent: "tools")
            #expect(await eventually { engine.run(id: old.id)?.state == .completed })
            // tools emits 8 events; the ring keeps the last 4 (tool_completed, thinking, ..., completed).
            let partial = try await world.connect(port, "/v1/runs/\(old.id)/events", user: "alice-01")
            let partialEvents = try await partial.remainingItems().compactMap { item -> SSEEvent? in
                if case .event(let e) = item { e } else { nil }
            }
            partial.close()
            #expect(partialEvents.first?.event == "gap")
            #expect(partialEvents.last?.event == "agent_completed")
            for _ in 0..<4 { world.publish(user: "alice-01") }
            let gone = try await world.connect(port, "/v1/runs/\(old.id)/events", user: "alice-01")
            let goneEvents = try await gone.remainingItems().compactMap { item -> SSEEvent? in
                if case .event(let e) = item { e } else { nil }
            }
            gone.close()
            #expect(goneEvents.map(\.event) == ["gap"])
        }
    }
}
