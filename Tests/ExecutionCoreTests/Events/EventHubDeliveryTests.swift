import Testing
@testable import ExecutionCore

@Suite("Event hub: ordering, isolation, filters")
struct EventHubDeliveryTests {
    @Test("ids start at 1 and increase per user; the envelope JSON has the SPEC's fields")
    func orderingAndEnvelope() throws {
        let hub = EventHub()
        let subscription = try hub.subscribe(userID: "alice", wake: {})
        for step in 1...5 { hub.publish(draft(data: .object(["step": .integer(Int64(step))]))) }
        let events = subscription.next().events
        #expect(events.map(\.id) == [1, 2, 3, 4, 5])
        #expect(events.map { $0.data["step"]?.int64Value } == [1, 2, 3, 4, 5])
        let json = try JSONValue.parse(events[2].json)
        #expect(Set(json.objectValue?.keys.map { $0 } ?? []) ==
                ["id", "type", "user_id", "thread_id", "run_id", "execution_id", "request_id", "engine_id", "agent", "timestamp", "data"])
        #expect(json["id"] == .integer(3))
        #expect(json["type"] == .string("agent_thinking"))
        #expect(json["user_id"] == .string("alice"))
        #expect(json["thread_id"] == .string("thread-1"))
        #expect(json["run_id"] == .string("run-1"))
        #expect(json["execution_id"] == .string("exec-1"))
        #expect(json["request_id"] == .string("req-alice"))
        #expect(json["engine_id"] == .string("engine-alice"))
        #expect(json["agent"] == .string("echo"))
        #expect(json["timestamp"] == .string("2025-11-26T07:27:23.123Z"))
        #expect(json["data"] == .object(["step": .integer(3)]))
    }

    @Test("a subscriber never sees another user's event, even on the same thread id; ids are per user")
    func perUserIsolation() throws {
        let hub = EventHub()
        let alice = try hub.subscribe(userID: "alice", after: 0, wake: {})
        let bob = try hub.subscribe(userID: "bob", after: 0, wake: {})
        for n in 0..<30 {
            hub.publish(draft(user: n % 3 == 0 ? "bob" : "alice", thread: "shared-thread", run: "shared-run"))
        }
        let aliceEvents = alice.next().events
        let bobEvents = bob.next().events
        #expect(aliceEvents.count == 20 && bobEvents.count == 10)
        #expect(aliceEvents.allSatisfy { $0.identity.userID == "alice" })
        #expect(bobEvents.allSatisfy { $0.identity.userID == "bob" })
        #expect(aliceEvents.map(\.id) == Array(1...20))
        #expect(bobEvents.map(\.id) == Array(1...10))
        // A late subscriber replaying from the start sees only its own user's log too.
        let lateBob = try hub.subscribe(userID: "bob", after: 0, wake: {})
        #expect(lateBob.next().events.allSatisfy { $0.identity.userID == "bob" })
    }

    @Test("filters by thread, run and execution id, combined with AND")
    func filters() throws {
        let hub = EventHub()
        let byThread = try hub.subscribe(userID: "alice", filter: EventFilter(threadID: "t2"), wake: {})
        let byRun = try hub.subscribe(userID: "alice", filter: EventFilter(runID: "r1"), wake: {})
        let byExecution = try hub.subscribe(userID: "alice", filter: EventFilter(executionID: "e3"), wake: {})
        let combined = try hub.subscribe(userID: "alice", filter: EventFilter(threadID: "t1", runID: "r2"), wake: {})
        let plan: [(String, String, String)] = [("t1", "r1", "e1"), ("t2", "r1", "e2"), ("t1", "r2", "e3"), ("t2", "r2", "e4"), ("t1", "r2", "e5")]
        for (thread, run, execution) in plan { hub.publish(draft(thread: thread, run: run, execution: execution)) }
        #expect(byThread.next().events.map(\.id) == [2, 4])
        #expect(byRun.next().events.map(\.id) == [1, 2])
        #expect(byExecution.next().events.map(\.id) == [3])
        #expect(combined.next().events.map(\.id) == [3, 5])
        // Filters apply to replay as well.
        let replayed = try hub.subscribe(userID: "alice", filter: EventFilter(threadID: "t1"), after: 0, wake: {})
        #expect(replayed.next().events.map(\.id) == [1, 3, 5])
    }

    @Test("wake is coalesced until the consumer empties its queue; maxEvents batches report hasMore")
    func wakeCoalescing() throws {
        let hub = EventHub()
        let wakes = WakeCounter()
        let subscription = try hub.subscribe(userID: "alice", wake: wakes.wake)
        for _ in 0..<5 { hub.publish(draft()) }
        #expect(wakes.value == 1)
        let first = subscription.next(maxEvents: 2)
        #expect(first.events.map(\.id) == [1, 2] && first.hasMore)
        hub.publish(draft())
        #expect(wakes.value == 1, "items were still waiting: no new wake")
        let rest = subscription.next()
        #expect(rest.events.map(\.id) == [3, 4, 5, 6] && !rest.hasMore)
        hub.publish(draft())
        #expect(wakes.value == 2)
        #expect(hub.statistics.published == 7 && hub.statistics.delivered == 7)
    }

    @Test("publishers of different users do not interfere; per-user order holds under concurrency")
    func concurrentUsers() async throws {
        let hub = EventHub(configuration: .init(subscriberQueueCapacity: 10_000))
        let users = (0..<8).map { "user-\($0)" }
        var subscriptions: [String: EventSubscription] = [:]
        for user in users { subscriptions[user] = try hub.subscribe(userID: user, wake: {}) }
        await withTaskGroup(of: Void.self) { group in
            for user in users {
                for thread in 0..<2 {
                    group.addTask {
                        for n in 0..<500 {
                            hub.publish(draft(user: user, thread: "t\(thread)", data: .object(["n": .integer(Int64(n))])))
                        }
                    }
                }
            }
        }
        for user in users {
            let events = try #require(subscriptions[user]).next().events
            #expect(events.map(\.id) == Array(1...1000))
            #expect(events.allSatisfy { $0.identity.userID == user })
            for thread in ["t0", "t1"] {
                #expect(events.filter { $0.identity.threadID == thread }.map { $0.data["n"]?.int64Value ?? -1 } == Array(0..<500))
            }
        }
        #expect(hub.statistics.published == 8000)
    }
}
