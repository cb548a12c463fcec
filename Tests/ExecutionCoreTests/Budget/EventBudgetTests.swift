import Testing
@testable import ExecutionCore

@Suite("Budgets: replay ring and subscriber queues")
struct EventBudgetTests {
    func hub(perUser: Int = 1 << 30, ring: Int = 1000, queue: Int = 1000) -> (EventHub, RetainedBytesLedger, TestClock) {
        let ledger = RetainedBytesLedger(limits: BudgetLimits(perUserBytes: perUser, globalBytes: 1 << 40))
        let clock = TestClock()
        let configuration = EventHubConfiguration(replayRingSize: ring, subscriberQueueCapacity: queue,
                                                  idleLogRetention: .seconds(60))
        return (EventHub(configuration: configuration, clock: clock, ledger: ledger), ledger, clock)
    }

    @Test("the ring is charged each event's encoded size; the ring's own eviction and idle eviction release it")
    func ringChargedAndReleased() {
        let (hub, ledger, clock) = hub(ring: 5)
        var events: [PublishedEvent] = []
        for step in 0..<12 {
            let event = hub.publish(draft(data: .object(["step": .integer(Int64(step))]), at: clock.now()))
            events.append(event)
        }
        let expected = events.suffix(5).reduce(0) { $0 + RetainedSize.of(event: $1) }
        #expect(ledger.usage("alice")[.events] == BudgetCategoryUsage(items: 5, bytes: expected))
        clock.advance(.seconds(61))
        #expect(hub.evictIdleLogs() == 1)
        #expect(ledger.accountCount == 0 && ledger.globalUsedBytes == 0)
    }

    @Test("the ring keeps the encoded bytes only; data is still readable, decoded from them")
    func encodedOnly() {
        let (hub, _, _) = hub()
        let event = hub.publish(draft(data: .object(["api_key": .string("k"), "n": .integer(3)])))
        #expect(event.envelope.draft.data == .null)
        #expect(event.data == .object(["api_key": .string("[REDACTED]"), "n": .integer(3)]))
    }

    @Test("at the user's budget the ring lets its oldest events go (a resume gets a gap); live delivery goes on")
    func ringEvictsOldestAtBudget() throws {
        let big = JSONValue.object(["blob": .string(String(repeating: "y", count: 4000))])
        let (hub, ledger, _) = hub(perUser: 20_000)
        for _ in 0..<20 { hub.publish(draft(data: big)) }
        let info = try #require(hub.logInfo(userID: "alice"))
        #expect(info.lastID == 20)
        #expect(info.retainedCount < 5 && info.retainedCount >= 1)
        #expect(ledger.usedBytes("alice") <= 20_000)
        #expect(ledger.figures.userRefusals == 0, "ring evictions are no refused requests")
        let resumed = try hub.subscribe(userID: "alice", after: 0, wake: {})
        let replay = resumed.drain()
        #expect(replay.gap?.firstAvailableID == info.firstRetainedID)
        #expect(replay.ids == Array(info.firstRetainedID...20))
        resumed.cancel()
    }

    @Test("queued live events are charged until taken; cancel and deinit give back what is left")
    func queueChargedUntilTaken() throws {
        let (hub, ledger, _) = hub()
        let subscription = try hub.subscribe(userID: "alice", wake: {})
        for _ in 0..<10 { hub.publish(draft()) }
        #expect(ledger.usage("alice")[.subscriptions].items == 10)
        _ = subscription.next(maxEvents: 4)
        #expect(ledger.usage("alice")[.subscriptions].items == 6)
        _ = subscription.next()
        #expect(ledger.usage("alice")[.subscriptions] == BudgetCategoryUsage())
        for _ in 0..<3 { hub.publish(draft()) }
        subscription.cancel()
        #expect(ledger.usage("alice")[.subscriptions] == BudgetCategoryUsage())

        var forgotten: EventSubscription? = try hub.subscribe(userID: "alice", wake: {})
        for _ in 0..<3 { hub.publish(draft()) }
        #expect(ledger.usage("alice")[.subscriptions].items == 3)
        _ = forgotten
        forgotten = nil
        hub.terminateAll(reason: .shutdown)
        #expect(ledger.usage("alice")[.subscriptions] == BudgetCategoryUsage())
    }

    @Test("a slow reader whose queue would pass the budget is closed as slow_consumer; the publisher and others go on")
    func slowReaderClosedAtBudget() throws {
        let big = JSONValue.object(["blob": .string(String(repeating: "z", count: 4000))])
        let (hub, ledger, _) = hub(perUser: 40_000, ring: 2)
        let slow = try hub.subscribe(userID: "alice", wake: {})
        let other = try hub.subscribe(userID: "bob", wake: {})
        for _ in 0..<20 { hub.publish(draft(data: big)) }
        hub.publish(draft(user: "bob"))
        #expect(ledger.usedBytes("alice") <= 40_000)
        let drained = slow.drain()
        #expect(drained.termination == .slowConsumer)
        #expect(!drained.ids.isEmpty && drained.ids.count < 20)
        #expect(other.drain().ids == [1])
        slow.cancel()
        other.cancel()
        #expect(ledger.usage("alice")[.subscriptions] == BudgetCategoryUsage())
    }

    @Test("a reader that keeps up gets its events live even when the user's budget is full of other things")
    func keepingUpAtFullBudget() throws {
        let (hub, ledger, _) = hub(perUser: 10_000)
        ledger.forceCharge("alice", .contexts, bytes: 10_000)
        let subscription = try hub.subscribe(userID: "alice", wake: {})
        for round in 0..<20 {
            hub.publish(draft())
            let batch = subscription.next()
            #expect(batch.events.count == 1 && batch.termination == nil, "round \(round)")
        }
        subscription.cancel()
        ledger.release("alice", .contexts, bytes: 10_000)
        #expect(ledger.usage("alice")[.subscriptions] == BudgetCategoryUsage())
    }
}
