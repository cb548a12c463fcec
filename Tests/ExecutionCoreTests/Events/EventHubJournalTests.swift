import Testing
@testable import ExecutionCore
import IsolationdTesting

/// One replica's event path over a shared journal: its hub and the publisher its engines use.
private struct Replica {
    let hub: EventHub
    let publisher: JournaledEventPublisher

    init(_ journal: TestJournal, ringSize: Int = 1000) {
        hub = EventHub(configuration: .init(replayRingSize: ringSize), journal: journal)
        publisher = JournaledEventPublisher(hub: hub, journal: journal)
        hub.startFollowing()
    }

    func publish(_ count: Int, user: String = "alice", type: EventType = .agentThinking) {
        for step in 0..<count { publisher.publish(draft(user: user, type: type, data: .object(["step": .integer(Int64(step))]))) }
    }
}

@Suite("The event hub over a shared journal (issue 13)")
struct EventHubJournalTests {
    @Test("a replica's events are numbered by the journal and reach its own and another replica's subscribers, in order")
    func crossReplicaDelivery() throws {
        let journal = TestJournal()
        let (a, b) = (Replica(journal), Replica(journal))
        let onA = try a.hub.subscribe(userID: "alice", wake: {})
        let onB = try b.hub.subscribe(userID: "alice", wake: {})
        let bob = try b.hub.subscribe(userID: "bob", wake: {})
        a.publish(5)
        #expect(onA.drain().ids == [1, 2, 3, 4, 5])
        #expect(onB.drain().ids == [1, 2, 3, 4, 5])
        #expect(bob.drain().ids.isEmpty)
    }

    @Test("two replicas publishing for one user at once: every subscriber sees one gapless sequence, whatever order the answers come in")
    func interleavedReplicas() throws {
        let journal = TestJournal()
        let (a, b) = (Replica(journal), Replica(journal))
        let onA = try a.hub.subscribe(userID: "alice", wake: {})
        let onB = try b.hub.subscribe(userID: "alice", wake: {})
        journal.holding = true
        for _ in 0..<20 {
            a.publish(1)
            b.publish(2)
        }
        journal.holding = false
        journal.release()
        let expected = Array(UInt64(1)...60)
        #expect(onA.drain().ids == expected)
        #expect(onB.drain().ids == expected)
    }

    @Test("answers that come newest first still give every subscriber the sequence in order")
    func answersInReverse() throws {
        let journal = TestJournal()
        let (a, b) = (Replica(journal), Replica(journal))
        let onA = try a.hub.subscribe(userID: "alice", wake: {})
        let onB = try b.hub.subscribe(userID: "alice", wake: {})
        journal.holding = true
        a.publish(1)
        b.publish(1)
        journal.holding = false
        journal.release(newestFirst: true)
        #expect(onA.drain().ids == [1, 2])
        #expect(onB.drain().ids == [1, 2])
    }

    @Test("an event past a hole is not delivered until the hole is read from the journal")
    func holeIsFilledFirst() throws {
        let journal = TestJournal()
        let (a, b) = (Replica(journal), Replica(journal))
        let onB = try b.hub.subscribe(userID: "alice", wake: {})
        journal.holding = true
        a.publish(1)   // id 1: its answer and wake-up held
        b.publish(1)   // id 2
        journal.holding = false
        // B hears of its own id 2 before A's id 1 is known here: it reads 1 first.
        #expect(b.hub.deliver(PublishedEvent(EventEnvelope(id: 3, draft: draft(), json: []))) == .behind(after: 0))
        journal.release()
        #expect(onB.drain().ids == [1, 2])
    }

    @Test("a resume after a restart replays exactly the events after the cursor, and new ids continue above the old ones")
    func resumeAfterRestart() throws {
        let journal = TestJournal()
        Replica(journal).publish(10)
        let restarted = Replica(journal)
        let resumed = try restarted.hub.subscribe(userID: "alice", after: 4, wake: {})
        restarted.publish(3)
        let seen = resumed.drain()
        #expect(seen.gap == nil)
        #expect(seen.ids == Array(UInt64(5)...13))
    }

    @Test("a run stream's replay reads that run's events only, with no gap for other runs' ids")
    func runReplay() throws {
        let journal = TestJournal()
        let a = Replica(journal)
        for index in 0..<6 { a.publisher.publish(draft(execution: index % 2 == 0 ? "exec-even" : "exec-odd")) }
        let seen = try Replica(journal).hub.subscribe(userID: "alice", filter: EventFilter(executionID: "exec-odd"), after: 0,
                                                      wake: {}).drain()
        #expect(seen.gap == nil)
        #expect(seen.ids == [2, 4, 6])
    }

    @Test("a replay the ring holds is taken from it: while the user's ring is followed here, or for a run whose start it holds")
    func replayFromTheRing() throws {
        let journal = TestJournal()
        let a = Replica(journal)
        a.publisher.publish(draft(execution: "exec-x", type: .agentStarted))
        for _ in 0..<4 { a.publisher.publish(draft(execution: "exec-x")) }
        let readsBefore = journal.reads
        let runStream = try a.hub.subscribe(userID: "alice", filter: EventFilter(executionID: "exec-x"), after: 0, wake: {})
        let run = runStream.drain()
        #expect(run.ids == [1, 2, 3, 4, 5])
        #expect(journal.reads == readsBefore)
        // Not followed here (no other subscription): the ring may lag the journal, which is read.
        let unfollowed = try Replica(journal).hub.subscribe(userID: "alice", after: 2, wake: {})
        _ = unfollowed
        #expect(journal.reads == readsBefore + 1)
        // The run stream is open: the ring is followed, and neither of these reads.
        let live = try a.hub.subscribe(userID: "alice", wake: {})
        let resumed = try a.hub.subscribe(userID: "alice", after: 2, wake: {})
        #expect(resumed.drain().ids == [3, 4, 5])
        #expect(journal.reads == readsBefore + 1)
        a.publish(1)
        #expect(resumed.drain().ids == [6])
        #expect(live.drain().ids == [6])
    }

    @Test("a replica starting on a long history: streams opened at once while its first own events arrive are neither cut nor gapped")
    func freshReplicaOnLongHistory() throws {
        let journal = TestJournal()
        Replica(journal, ringSize: 8).publish(50)
        let fresh = Replica(journal, ringSize: 8)
        journal.holding = true
        let streams = try (0..<3).map { _ in try fresh.hub.subscribe(userID: "alice", wake: {}) }
        let resumed = try fresh.hub.subscribe(userID: "alice", after: 48, wake: {})
        fresh.publish(2)
        journal.holding = false
        journal.release()
        for stream in streams {
            let seen = stream.drain()
            #expect(seen.termination == nil)
            #expect(seen.ids == [51, 52])
        }
        let seen = resumed.drain()
        #expect(seen.gap == nil && seen.termination == nil)
        #expect(seen.ids == [49, 50, 51, 52])
    }

    @Test("a cursor newer than the journal's count gets a gap of unknown size, then every retained event")
    func cursorFromTheFuture() throws {
        let journal = TestJournal()
        let a = Replica(journal)
        a.publish(3)
        let seen = try a.hub.subscribe(userID: "alice", after: 100, wake: {}).drain()
        #expect(seen.gap == EventGap(requestedAfter: 100, firstAvailableID: 1, lostCount: nil))
        #expect(seen.ids == [1, 2, 3])
    }

    @Test("a replay is bounded by the ring size: older events are announced as a gap with their count")
    func replayIsBounded() throws {
        let journal = TestJournal()
        let a = Replica(journal, ringSize: 4)
        a.publish(10)
        let seen = try Replica(journal, ringSize: 4).hub.subscribe(userID: "alice", after: 2, wake: {}).drain()
        #expect(seen.gap == EventGap(requestedAfter: 2, firstAvailableID: 7, lostCount: 4))
        #expect(seen.ids == [7, 8, 9, 10])
    }

    @Test("nothing is handed out while the replay is read, and its arrival wakes the consumer")
    func replayPending() throws {
        let journal = TestJournal()
        let a = Replica(journal)
        a.publish(3)
        journal.holding = true
        let wakes = WakeCounter()
        let subscription = try a.hub.subscribe(userID: "alice", after: 1, wake: wakes.wake)
        let early = subscription.next()
        #expect(early.replayPending && early.events.isEmpty && early.termination == nil)
        #expect(subscription.isReplaying)
        journal.holding = false
        journal.release()
        #expect(wakes.value == 1)
        #expect(subscription.drain().ids == [2, 3])
    }

    @Test("a replay waits for this replica's events published before the subscription, still on their way to the journal")
    func replayWaitsForOwnAppends() throws {
        let journal = TestJournal()
        let a = Replica(journal)
        journal.holding = true
        a.publish(3)
        let subscription = try a.hub.subscribe(userID: "alice", after: 0, wake: {})
        #expect(subscription.next().replayPending)
        journal.holding = false
        // Were the read sent now, it would be answered before the append.
        journal.release(newestFirst: true)
        #expect(subscription.drain().ids == [1, 2, 3])
    }

    @Test("ready comes once the subscription is anchored: at once in memory, after the read on a journal, once when it fails")
    func readyWhenAnchored() throws {
        let inMemory = WakeCounter()
        _ = try EventHub().subscribe(userID: "alice", ready: inMemory.wake, wake: {})
        #expect(inMemory.value == 1)
        let journal = TestJournal()
        let a = Replica(journal)
        a.publish(2)
        journal.holding = true
        let anchored = WakeCounter()
        _ = try a.hub.subscribe(userID: "alice", ready: anchored.wake, wake: {})
        #expect(anchored.value == 0)
        journal.holding = false
        journal.release()
        #expect(anchored.value == 1)
        journal.failing = true
        let failed = WakeCounter()
        let subscription = try a.hub.subscribe(userID: "bob", after: 0, ready: failed.wake, wake: {})
        #expect(failed.value == 1)
        #expect(subscription.drain().termination == .unavailable)
    }

    @Test("a replay that cannot be read ends the subscription as unavailable")
    func unreadableReplay() throws {
        let journal = TestJournal()
        journal.failing = true
        let subscription = try Replica(journal).hub.subscribe(userID: "alice", after: 0, wake: {})
        #expect(subscription.drain().termination == .unavailable)
    }

    @Test("events published while the journal fails wait, and are appended in order once it is back")
    func appendRetries() async throws {
        let journal = TestJournal()
        let a = Replica(journal)
        let subscription = try a.hub.subscribe(userID: "alice", wake: {})
        journal.failing = true
        a.publish(3)
        #expect(a.publisher.statistics.waiting == 3)
        journal.failing = false
        #expect(await a.publisher.flush(timeout: .seconds(30)))
        #expect(subscription.drain().ids == [1, 2, 3])
        #expect(a.publisher.statistics.failedAppends >= 1)
    }

    @Test("while the journal fails, what waits is bounded: the oldest events go first, counted")
    func waitingIsBounded() async throws {
        let journal = TestJournal()
        let hub = EventHub(journal: journal)
        let publisher = JournaledEventPublisher(hub: hub, journal: journal, maxWaiting: 3)
        let subscription = try hub.subscribe(userID: "alice", wake: {})
        journal.failing = true
        for step in 0..<5 { publisher.publish(draft(data: .object(["step": .integer(Int64(step))]))) }
        #expect(publisher.statistics.waiting == 3 && publisher.statistics.dropped == 2)
        journal.failing = false
        #expect(await publisher.flush(timeout: .seconds(30)))
        let events = subscription.next().events
        #expect(events.map(\.id) == [1, 2, 3])
        #expect(events.map { $0.data["step"]?.int64Value } == [2, 3, 4])
        let bytes = JournaledEventPublisher(hub: EventHub(journal: journal), journal: journal, maxWaitingBytes: 1)
        journal.failing = true
        bytes.publish(draft())
        #expect(bytes.statistics.waiting == 0 && bytes.statistics.dropped == 1)
        journal.failing = false
    }

    @Test("events published while an append is in flight go together in the next one")
    func appendsBatch() throws {
        let journal = TestJournal()
        let a = Replica(journal)
        journal.holding = true
        a.publish(50)
        journal.holding = false
        journal.release()
        #expect(journal.batchSizes == [1, 49])
    }

    @Test("a follower whose hole was deleted by retention ends its subscribers as slow consumers (they resume with a gap)")
    func holeGoneFromJournal() throws {
        let journal = TestJournal()
        let (a, b) = (Replica(journal), Replica(journal))
        let onB = try b.hub.subscribe(userID: "alice", wake: {})
        journal.silent = true
        a.publish(5)
        journal.deleteEvents(of: "alice", through: 3)
        journal.resynchronizeAll()
        let seen = onB.drain()
        #expect(seen.termination == .slowConsumer)
        #expect(seen.ids.isEmpty)
        #expect(b.hub.logInfo(userID: "alice")?.lastID == 5)
    }

    @Test("a lost wake-up costs nothing: a resynchronisation rereads every followed user")
    func resynchronization() throws {
        let journal = TestJournal()
        let b = Replica(journal)
        let onB = try b.hub.subscribe(userID: "alice", wake: {})
        // Appended by a replica whose wake-up never reached B.
        journal.silent = true
        Replica(journal).publish(2)
        #expect(onB.drain().ids.isEmpty)
        journal.resynchronizeAll()
        #expect(onB.drain().ids == [1, 2])
    }

    @Test("run events say what they change in the run's record")
    func runRecordChanges() {
        let at = Timestamp(nanoseconds: 10_000_000_000)
        #expect(RunRecordChange.of(draft(type: .runQueued, at: at)) == RunRecordChange(state: .queued, createdAt: at))
        #expect(RunRecordChange.of(draft(type: .agentStarted, data: .object(["queue_wait_ms": .integer(250)]), at: at))
            == RunRecordChange(state: .running, createdAt: at - .milliseconds(250), startedAt: at))
        #expect(RunRecordChange.of(draft(type: .agentCompleted, data: .object(["result": .object(["ok": .bool(true)])]), at: at))
            == RunRecordChange(state: .completed, endedAt: at, resultJSON: #"{"ok":true}"#))
        #expect(RunRecordChange.of(draft(type: .agentError, data: .object(["kind": .string("bad_output"), "message": .string("no")]), at: at))
            == RunRecordChange(state: .failed, endedAt: at, reason: "bad_output", errorMessage: "no"))
        #expect(RunRecordChange.of(draft(type: .runCancelled, data: .object(["reason": .string("shutdown")]), at: at))
            == RunRecordChange(state: .cancelled, endedAt: at, reason: "shutdown"))
        #expect(RunRecordChange.of(draft(type: .runTimedOut, at: at)) == RunRecordChange(state: .timedOut, endedAt: at, reason: "timeout"))
        #expect(RunRecordChange.of(draft(type: .toolExecuting, at: at)) == nil)
    }
}
