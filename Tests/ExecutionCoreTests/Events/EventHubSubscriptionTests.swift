import Testing
@testable import ExecutionCore

@Suite("Event hub: bounds, caps, termination")
struct EventHubSubscriptionTests {
    @Test("a consumer that falls behind is cut off as slowConsumer after its queued events; memory stays bounded")
    func slowConsumer() throws {
        let hub = EventHub()
        let wakes = WakeCounter()
        let slow = try hub.subscribe(userID: "alice", queueCapacity: 3, wake: wakes.wake)
        let healthy = try hub.subscribe(userID: "alice", queueCapacity: 100, wake: {})
        for _ in 0..<10 { hub.publish(draft()) }
        #expect(slow.pendingCount == 3)
        #expect(slow.terminationReason == .slowConsumer)
        let drained = slow.drain()
        #expect(drained.ids == [1, 2, 3])
        #expect(drained.termination == .slowConsumer)
        #expect(slow.next().termination == .slowConsumer, "the reason stays")
        #expect(healthy.drain().ids == Array(1...10))
        let stats = hub.statistics
        #expect(stats.slowConsumerCutoffs == 1 && stats.liveSubscribers == 1)
        #expect(wakes.value == 1)
        #expect(hub.logInfo(userID: "alice")?.subscriberCount == 1)
    }

    @Test("at most the configured subscriptions per user; cancel frees a place; other users unaffected")
    func subscriberCap() throws {
        let hub = EventHub(configuration: .init(maxSubscribersPerUser: 2))
        let first = try hub.subscribe(userID: "alice", wake: {})
        _ = try hub.subscribe(userID: "alice", wake: {})
        #expect(throws: SubscriptionError.tooManySubscribers(limit: 2)) { try hub.subscribe(userID: "alice", wake: {}) }
        _ = try hub.subscribe(userID: "bob", wake: {})
        first.cancel()
        first.cancel()
        #expect(hub.statistics.liveSubscribers == 2)
        _ = try hub.subscribe(userID: "alice", wake: {})
    }

    @Test("racing subscribes never exceed the cap")
    func capUnderRace() async throws {
        let hub = EventHub(configuration: .init(maxSubscribersPerUser: 10))
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<40 { group.addTask { (try? hub.subscribe(userID: "alice", wake: {})) != nil } }
            var accepted = 0
            for await ok in group where ok { accepted += 1 }
            return accepted
        }
        #expect(results == 10)
        #expect(hub.statistics.liveSubscribers == 10)
    }

    @Test("cancel drops pending events and reports cancelled")
    func cancel() throws {
        let hub = EventHub()
        let subscription = try hub.subscribe(userID: "alice", wake: {})
        for _ in 0..<4 { hub.publish(draft()) }
        subscription.cancel()
        let batch = subscription.next()
        #expect(batch.events.isEmpty && batch.termination == .cancelled)
        hub.publish(draft())
        #expect(subscription.next().events.isEmpty)
        #expect(hub.statistics.liveSubscribers == 0)
    }

    @Test("terminateAll(.shutdown) ends every subscription after its events and refuses new ones; publishing goes on")
    func shutdown() throws {
        let hub = EventHub()
        let wakes = WakeCounter()
        let alice = try hub.subscribe(userID: "alice", wake: wakes.wake)
        let bob = try hub.subscribe(userID: "bob", wake: wakes.wake)
        hub.publish(draft(user: "alice"))
        hub.terminateAll(reason: .shutdown)
        #expect(wakes.value == 2, "alice already had a wake pending; bob is woken for the termination")
        let aliceEnd = alice.drain()
        #expect(aliceEnd.ids == [1] && aliceEnd.termination == .shutdown)
        #expect(bob.drain().termination == .shutdown)
        #expect(throws: SubscriptionError.shuttingDown) { try hub.subscribe(userID: "carol", wake: {}) }
        #expect(hub.publish(draft(user: "alice")).id == 2)
        #expect(hub.statistics.liveSubscribers == 0)
    }
}
