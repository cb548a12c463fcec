import ExecutionAPI
import ExecutionCore
import HTTPServer
import IsolationdTesting
import Testing

@Suite("SSE /v1/events over sockets")
struct SSEStreamTests {
    @Test("events arrive in order with contiguous ids, after retry:, with the streaming headers")
    func orderAndHeaders() async throws {
        let world = try StreamTestWorld(users: ["alice-01"], retryMilliseconds: 1234)
        try await world.serve { _, port in
            let client = try await world.connect(port, "/v1/events", user: "alice-01")
            defer { client.close() }
            #expect(client.status == 200)
            #expect(client.head.headers["Content-Type"] == "text/event-stream")
            #expect(client.head.headers["Cache-Control"] == "no-cache")
            #expect(client.head.headers["X-Accel-Buffering"] == "no")
            #expect(client.head.headers["Content-Encoding"] == nil)
            #expect(try await client.next() == .retry(1234))
            var published: [PublishedEvent] = []
            for step in 0..<50 { published.append(world.publish(user: "alice-01", data: .object(["step": .integer(Int64(step))]))) }
            let events = try await client.events(50)
            #expect(events.map(\.numericID) == published.map { Optional($0.id) })
            #expect(events.map(\.numericID) == (1...50).map { Optional(UInt64($0)) })
            #expect(events.allSatisfy { $0.event == "agent_thinking" })
            #expect(events.map(\.data) == published.map { String(decoding: $0.json, as: UTF8.self) })
            // Counted once per batch, after the write: what the client read is all counted.
            #expect(await eventually { world.streamCounters.statistics.eventsWritten[.sse] == 50 })
            #expect(world.streamCounters.statistics.eventBytesWritten[.sse] == published.reduce(0) { $0 + $1.json.count })
            #expect(world.streamCounters.statistics.eventsWritten[.webSocket] == nil)
            #expect(events[7].json?["data"]?["step"] == .integer(7))
        }
    }

    @Test("Last-Event-ID (header), ?after= and ?last_event_id= resume with no gap and no duplicate")
    func resumeWithoutGap() async throws {
        let world = try StreamTestWorld(users: ["alice-01"])
        try await world.serve { _, port in
            for _ in 0..<6 { world.publish(user: "alice-01") }
            for (path, header) in [("/v1/events", "2"), ("/v1/events?after=2", nil), ("/v1/events?last_event_id=2", nil),
                                   ("/v1/events?after=5", "2")] {
                let client = try await world.connect(port, path, user: "alice-01", lastEventID: header)
                defer { client.close() }
                #expect(client.status == 200)
                let events = try await client.events(4)
                #expect(events.map(\.numericID) == [3, 4, 5, 6], "\(path) \(header ?? "-")")
                #expect(!events.contains { $0.event == "gap" })
                // Live events continue the same sequence.
                world.publish(user: "alice-01")
                #expect(try await client.nextEvent()?.numericID == 7)
                world.hub.evictIdleLogs()
            }
        }
    }

    @Test("a cursor older than the ring gets an explicit gap event first, then the retained events")
    func resumeWithGap() async throws {
        let world = try StreamTestWorld(users: ["alice-01"], hub: EventHubConfiguration(replayRingSize: 10))
        try await world.serve { _, port in
            for _ in 0..<30 { world.publish(user: "alice-01") }
            let client = try await world.connect(port, "/v1/events", user: "alice-01", lastEventID: "5")
            defer { client.close() }
            let gap = try #require(try await client.nextEvent())
            #expect(gap.event == "gap")
            #expect(gap.id == nil)
            #expect(gap.json?["first_available_id"] == .integer(21))
            #expect(gap.json?["lost_count"] == .integer(15))
            #expect(gap.json?["requested_after"] == .integer(5))
            let events = try await client.events(10)
            #expect(events.map(\.numericID) == (21...30).map { Optional(UInt64($0)) })
        }
    }

    @Test("quiet streams get ': ping' comments on the configured interval")
    func heartbeats() async throws {
        let world = try StreamTestWorld(users: ["alice-01"], heartbeat: .milliseconds(150))
        try await world.serve { _, port in
            let start = ContinuousClock.now
            let client = try await world.connect(port, "/v1/events", user: "alice-01", timeout: .seconds(5))
            defer { client.close() }
            var pingTimes: [ContinuousClock.Instant] = []
            while pingTimes.count < 3, let item = try await client.next() {
                if item == .comment("ping") { pingTimes.append(.now) }
            }
            #expect(pingTimes.count == 3)
            // A ping only after a whole quiet interval: the third cannot come before three
            // intervals after the stream opened (reads may come later, never earlier), and all
            // came well within the 5 s read timeout.
            if let last = pingTimes.last {
                #expect(last - start >= .milliseconds(450))
            }
            #expect(world.streamCounters.statistics.heartbeats >= 3)
        }
    }

    @Test("thread_id, run_id and execution_id filters; another user's events never appear")
    func filtersAndIsolation() async throws {
        let world = try StreamTestWorld(users: ["alice-01", "bob-02"])
        try await world.serve { _, port in
            let byThread = try await world.connect(port, "/v1/events?thread_id=thread-b", user: "alice-01")
            let byRun = try await world.connect(port, "/v1/events?run_id=run-x", user: "alice-01")
            let byExecution = try await world.connect(port, "/v1/events?execution_id=exec-2&thread_id=thread-a", user: "alice-01")
            let bob = try await world.connect(port, "/v1/events", user: "bob-02")
            defer { for c in [byThread, byRun, byExecution, bob] { c.close() } }
            world.publish(user: "alice-01", thread: "thread-a", run: "run-x", execution: "exec-1")  // 1
            world.publish(user: "alice-01", thread: "thread-b", run: "run-y", execution: "exec-2")  // 2
            world.publish(user: "alice-01", thread: "thread-a", run: "run-y", execution: "exec-2")  // 3
            world.publish(user: "alice-01", thread: "thread-b", run: "run-x", execution: "exec-3")  // 4
            world.publish(user: "bob-02", thread: "thread-b", run: "run-x", execution: "exec-2")    // bob 1
            #expect(try await byThread.events(2).map(\.numericID) == [2, 4])
            #expect(try await byRun.events(2).map(\.numericID) == [1, 4])
            #expect(try await byExecution.events(1).map(\.numericID) == [3])
            let bobs = try await bob.events(1)
            #expect(bobs.map(\.numericID) == [1])
            #expect(bobs.first?.json?["user_id"] == .string("bob-02"))
        }
    }

    @Test("bad credentials, bad filters and bad cursors are refused before any subscription")
    func refusals() async throws {
        let world = try StreamTestWorld(users: ["alice-01"])
        try await world.serve { _, port in
            let anonymous = try await SSEClient.connect(port: port, path: "/v1/events")
            #expect(anonymous.status == 401)
            #expect(anonymous.head.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
            anonymous.close()
            let wrong = try await SSEClient.connect(port: port, path: "/v1/events", token: "sk-nobody-000000")
            #expect(wrong.status == 401)
            wrong.close()
            for path in ["/v1/events?after=x1", "/v1/events?thread_id=", "/v1/events?run_id=a%20b"] {
                let client = try await world.connect(port, path, user: "alice-01")
                #expect(client.status == 422, "\(path)")
                client.close()
            }
            let head = try await RawHTTPClient.connect(port: port)
            let answer = try await head.request("HEAD", "/v1/events", headers: [("Authorization", "Bearer \(StreamTestWorld.token("alice-01"))")])
            #expect(answer.status == 200)
            head.close()
            #expect(world.hub.statistics.liveSubscribers == 0)
        }
    }

    @Test("a browser EventSource authenticates with ?access_token=; a bad one is 401; the header wins over it")
    func queryTokenFallback() async throws {
        let world = try StreamTestWorld(users: ["alice-01", "bob-02"])
        try await world.serve { _, port in
            let alice = StreamTestWorld.token("alice-01")
            let browser = try await SSEClient.connect(port: port, path: "/v1/events?access_token=\(alice)&thread_id=thread-a")
            defer { browser.close() }
            #expect(browser.status == 200)
            world.publish(user: "bob-02")
            world.publish(user: "alice-01")
            let events = try await browser.events(1)
            #expect(events.first?.json?["user_id"] == .string("alice-01"))
            let forged = try await SSEClient.connect(port: port, path: "/v1/events?access_token=sk-nobody-000000")
            #expect(forged.status == 401)
            forged.close()
            // Bob's header decides, whatever the query says: the stream is Bob's.
            let both = try await SSEClient.connect(port: port, path: "/v1/events?access_token=\(alice)&after=0",
                                                   token: StreamTestWorld.token("bob-02"))
            defer { both.close() }
            #expect(both.status == 200)
            let replayed = try await both.events(1)
            #expect(replayed.first?.json?["user_id"] == .string("bob-02"))
        }
    }

    @Test("the per-user stream cap answers 429 with Retry-After in problem+json; closing one frees a slot")
    func streamCap() async throws {
        let world = try StreamTestWorld(users: ["alice-01", "bob-02"], hub: EventHubConfiguration(maxSubscribersPerUser: 2),
                                        retryMilliseconds: 3000)
        try await world.serve { _, port in
            let first = try await world.connect(port, "/v1/events", user: "alice-01")
            let second = try await world.connect(port, "/v1/events", user: "alice-01")
            let refused = try await world.connect(port, "/v1/events", user: "alice-01")
            #expect(refused.status == 429)
            #expect(refused.head.headers["Retry-After"] == "3")
            #expect(refused.head.headers["Content-Type"] == "application/problem+json")
            #expect(try await refused.errorBody().contains("\"limit\":2"))
            refused.close()
            // Another user is unaffected.
            let bob = try await world.connect(port, "/v1/events", user: "bob-02")
            #expect(bob.status == 200)
            bob.close()
            first.close()
            #expect(await eventually { world.hub.logInfo(userID: "alice-01")?.subscriberCount == 1 })
            let again = try await world.connect(port, "/v1/events", user: "alice-01")
            #expect(again.status == 200)
            again.close()
            second.close()
        }
    }
}
