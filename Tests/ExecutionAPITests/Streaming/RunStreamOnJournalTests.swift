@testable import ExecutionAPI
import ExecutionCore
import IsolationdTesting
import Testing
import VisibleLocks

/// A run stream on a journal (issue 13): the engine marks a run ended in the same critical
/// section that hands its terminal event to the publisher, but the hub hears of that event only
/// once the journal has stored it. A stream opened in that window must still end with the
/// terminal event, not just after the events the journal held when it subscribed
/// (scripts/bench-postgres.sh saw one run stream in 9,107 end after `agent_thinking`).
@Suite("Run streams on a journal end with their run's terminal event")
struct RunStreamOnJournalTests {
    private static func draft(_ type: EventType) -> EventDraft {
        EventDraft(type: type, identity: EventIdentity(userID: "alice", threadID: "t-1", runID: "r-1",
                                                       requestID: "q-1", engineID: "e-1"),
                   executionID: "x-1", agent: "echo", timestamp: Timestamp(nanoseconds: 1), data: .object([:]))
    }

    private final class Replica {
        let journal: TestJournal
        let hub: EventHub
        let publisher: JournaledEventPublisher
        let context: EventStreamContext
        /// The streams opened here: the hub holds a stream only weakly, as a connection would.
        private var streams: [EventStream] = []

        /// A replica over `journal` (another replica's, or one of its own).
        init(sharing journal: TestJournal = TestJournal()) {
            self.journal = journal
            hub = EventHub(journal: journal)
            publisher = JournaledEventPublisher(hub: hub, journal: journal)
            hub.startFollowing()
            context = EventStreamContext(hub: hub, userID: "alice", counters: EventStreamCounters(),
                                         heartbeatInterval: .seconds(60))
        }

        /// The run's first two events, stored; what follows waits in the journal until `release`.
        func runUnderway() {
            publisher.publish(RunStreamOnJournalTests.draft(.agentStarted))
            publisher.publish(RunStreamOnJournalTests.draft(.agentThinking))
            journal.holding = true
        }

        /// Opens the run's stream from its start and attaches a recording sink on `loop`.
        func runStream(on loop: TestLoop, runEnded: () -> Bool) throws -> RecordingSink {
            let stream = try EventStream.open(context, filter: EventFilter(executionID: "x-1"), after: nil,
                                              runStream: true, runEnded: runEnded)
            streams.append(stream)
            let sink = RecordingSink(loop: loop)
            loop.execute { stream.attach(sink) }
            return sink
        }
    }

    /// A loop and a replica whose run is underway (see `Replica.runUnderway`), both kept until
    /// `body` returns.
    private static func withRunUnderway(_ body: (TestLoop, Replica) async throws -> Void) async rethrows {
        let loop = TestLoop()
        defer { loop.stop() }
        let replica = Replica()
        replica.runUnderway()
        try await body(loop, replica)
        withExtendedLifetime(replica) {}
    }

    /// Returns once the loop has run everything posted to it so far (a drain a journal answer
    /// posted included).
    private static func settle(_ loop: TestLoop) async {
        let reached = VisibleMutex(false)
        loop.execute { reached.withLock { $0 = true } }
        _ = await eventually(within: .seconds(10)) { reached.withLock { $0 } }
    }

    @Test("the run ends while the stream subscribes (its terminal event not yet stored): the stream ends after it")
    func endsWhileSubscribing() async throws {
        try await Self.withRunUnderway { loop, replica in
            // The run ends as the stream asks whether it has: its terminal event is handed to the
            // publisher, and the journal holds it, as a database still committing it would.
            let sink = try replica.runStream(on: loop) {
                _ = replica.publisher.publish(Self.draft(.agentCompleted))
                return true
            }
            await Self.settle(loop)
            // The journal answers one call at a time, and the stream takes each answer before the
            // next: a replay read answered before the terminal event's append must not end it.
            while replica.journal.releaseOldest() { await Self.settle(loop) }
            #expect(await eventually(within: .seconds(10)) { !sink.endings.withLock { $0 }.isEmpty })
            #expect(sink.ids.withLock { $0 } == [1, 2, 3], "the terminal event (3) is written before the stream ends")
            #expect(sink.endings.withLock { $0 } == [.runFinished])
        }
    }

    @Test("the run ends after the stream opened: the terminal event comes live and ends the stream")
    func endsAfterOpening() async throws {
        try await Self.withRunUnderway { loop, replica in
            let sink = try replica.runStream(on: loop) { false }
            replica.journal.release()
            #expect(await eventually(within: .seconds(10)) { sink.ids.withLock { $0 } == [1, 2] })
            #expect(sink.endings.withLock { $0 }.isEmpty, "the run goes on: so does its stream")
            replica.publisher.publish(Self.draft(.agentCompleted))
            replica.journal.release()
            #expect(await eventually(within: .seconds(10)) { sink.endings.withLock { $0 } == [.runFinished] })
            #expect(sink.ids.withLock { $0 } == [1, 2, 3])
        }
    }

    @Test("a run that ended long ago, its events no longer retained: the stream ends at once, with nothing to replay")
    func endedAndForgotten() async throws {
        try await Self.withRunUnderway { loop, replica in
            replica.journal.holding = false
            replica.publisher.publish(Self.draft(.agentCompleted))
            #expect(await replica.publisher.flush(timeout: .seconds(10)))
            replica.journal.deleteEvents(of: "alice", through: 3)
            let fresh = Replica(sharing: replica.journal)
            let sink = try fresh.runStream(on: loop) { true }
            #expect(await eventually(within: .seconds(10)) { sink.endings.withLock { $0 } == [.runFinished] })
            #expect(sink.ids.withLock { $0 }.isEmpty)
            withExtendedLifetime(fresh) {}
        }
    }
}
