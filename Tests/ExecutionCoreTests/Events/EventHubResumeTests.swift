import Synchronization
import Testing
@testable import ExecutionCore

@Suite("Event hub: resume, gaps, replay-to-live seam")
struct EventHubResumeTests {
    @Test("resume after an id still in the ring: the rest, then live, no gap")
    func resumeWithoutGap() throws {
        let hub = EventHub()
        for _ in 0..<10 { hub.publish(draft()) }
        let subscription = try hub.subscribe(userID: "alice", after: 4, wake: {})
        hub.publish(draft())
        let drained = subscription.drain()
        #expect(drained.gap == nil)
        #expect(drained.ids == Array(5...11))
    }

    @Test("resume after an id that fell out of the ring: an explicit gap first")
    func resumeWithGap() throws {
        let hub = EventHub(configuration: .init(replayRingSize: 5))
        for _ in 0..<12 { hub.publish(draft()) }
        let late = try hub.subscribe(userID: "alice", after: 2, wake: {})
        let drained = late.drain()
        #expect(drained.gap == EventGap(requestedAfter: 2, firstAvailableID: 8, lostCount: 5))
        #expect(drained.ids == [8, 9, 10, 11, 12])
        let fromStart = try hub.subscribe(userID: "alice", after: 0, wake: {})
        #expect(fromStart.drain().gap == EventGap(requestedAfter: 0, firstAvailableID: 8, lostCount: 7))
        let exactEdge = try hub.subscribe(userID: "alice", after: 7, wake: {})
        let edge = exactEdge.drain()
        #expect(edge.gap == nil && edge.ids == [8, 9, 10, 11, 12])
        #expect(hub.logInfo(userID: "alice") == EventLogInfo(lastID: 12, firstRetainedID: 8, retainedCount: 5, subscriberCount: 3))
    }

    @Test("a cursor newer than the log (a restart) gets a gap of unknown size and every retained event")
    func cursorAhead() throws {
        let hub = EventHub()
        for _ in 0..<3 { hub.publish(draft()) }
        let subscription = try hub.subscribe(userID: "alice", after: 500, wake: {})
        let drained = subscription.drain()
        #expect(drained.gap == EventGap(requestedAfter: 500, firstAvailableID: 1, lostCount: nil))
        #expect(drained.ids == [1, 2, 3])
    }

    @Test("no cursor: live events only")
    func liveOnly() throws {
        let hub = EventHub()
        for _ in 0..<3 { hub.publish(draft()) }
        let subscription = try hub.subscribe(userID: "alice", wake: {})
        hub.publish(draft())
        #expect(subscription.drain().ids == [4])
    }

    @Test("subscribing while another thread publishes: replay then live, no duplicate, no gap")
    func seamUnderConcurrentPublishing() async throws {
        let total = 20_000
        let hub = EventHub(configuration: .init(replayRingSize: total, subscriberQueueCapacity: total, maxSubscribersPerUser: 64))
        let publishing = Task.detached {
            for n in 0..<total { hub.publish(draft(data: .object(["n": .integer(Int64(n))]))) }
        }
        var subscriptions: [(after: UInt64, subscription: EventSubscription)] = []
        // Subscribe each time the log has grown by a step, so the subscriptions are spread over
        // the stream whatever the machine's speed; bounded in count and in iterations.
        var lastSubscribedAt: UInt64 = 0
        for _ in 0..<2_000_000 {
            if subscriptions.count >= 40 { break }
            let last = hub.logInfo(userID: "alice")?.lastID ?? 0
            if subscriptions.isEmpty || last >= lastSubscribedAt + UInt64(total / 50) || last == UInt64(total) {
                // Cursors at, and a little behind, the live edge (the first from the very start).
                let attempt = subscriptions.count
                let after = attempt == 0 ? 0 : last - min(last, UInt64(attempt % 4) * 37)
                subscriptions.append((after, try hub.subscribe(userID: "alice", after: after, wake: {})))
                lastSubscribedAt = last
                if last == UInt64(total) { break }
            }
            await Task.yield()
        }
        await publishing.value
        for (after, subscription) in subscriptions {
            let drained = subscription.drain()
            #expect(drained.gap == nil)
            #expect(drained.termination == nil)
            // Compared in summary form: a failure should not print 20,000 ids.
            let contiguous = zip(drained.ids, drained.ids.dropFirst()).allSatisfy { $1 == $0 + 1 }
            #expect(contiguous, "ids have a hole or a duplicate (subscribed after \(after))")
            #expect(drained.ids.count == total - Int(after), "subscribed after \(after)")
            if let first = drained.ids.first { #expect(first == after + 1 && drained.ids.last == UInt64(total)) }
        }
    }

    @Test("an idle log is evicted only without subscribers and after the retention; ids continue after it")
    func idleEviction() throws {
        let clock = TestClock()
        let hub = EventHub(configuration: .init(idleLogRetention: .seconds(60)), clock: clock)
        for _ in 0..<3 { hub.publish(draft(at: clock.now())) }
        let subscription = try hub.subscribe(userID: "alice", wake: {})
        clock.advance(.seconds(120))
        #expect(hub.evictIdleLogs() == 0, "a subscriber keeps the log")
        subscription.cancel()
        clock.advance(.seconds(30))
        #expect(hub.evictIdleLogs() == 0, "not idle long enough since the subscriber left")
        clock.advance(.seconds(31))
        #expect(hub.statistics.retainedEvents == 3)
        #expect(hub.evictIdleLogs() == 1)
        #expect(hub.logInfo(userID: "alice") == nil)
        #expect(hub.statistics.userLogs == 0 && hub.statistics.retainedEvents == 0 && hub.statistics.evictedLogs == 1)
        #expect(hub.publish(draft(at: clock.now())).id == 4, "ids never restart")
        let resumed = try hub.subscribe(userID: "alice", after: 1, wake: {})
        let drained = resumed.drain()
        #expect(drained.gap == EventGap(requestedAfter: 1, firstAvailableID: 4, lostCount: 2))
        #expect(drained.ids == [4])
    }
}
