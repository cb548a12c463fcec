@testable import ExecutionCore
import Logging
import PostgresClient
@testable import PostgresStore
import Testing

/// Run records folded from the journal's entries, and the runs of a dead replica ended
/// `replica_lost` with exactly one terminal event each.
@Suite("PostgreSQL run records", .enabled(if: StoreDatabase.available))
struct JournalRunRecordTests {
    static let logger = Logger(label: "test.runs")

    static func change(_ draft: EventDraft, _ change: RunRecordChange) -> JournalEntry {
        JournalFixture.entry(draft, run: change)
    }

    static func at(_ nanoseconds: Int64) -> Timestamp { Timestamp(nanoseconds: nanoseconds) }

    @Test("queued, running, completed fold into one record; a late running never replaces the end; records are per user")
    func foldsRecords() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        let journal = PostgresEventJournal(pool: database.pool, replicaID: "a", logger: Self.logger)
        let d = { (type: EventType) in JournalFixture.draft(user: "alice", execution: "e1", type: type) }
        _ = try await JournalFixture.append(journal, [Self.change(d(.runQueued), RunRecordChange(state: .queued, createdAt: Self.at(100)))]).get()
        let queued = try #require(try await JournalFixture.findRun(journal, id: "e1", user: "alice"))
        #expect(queued.state == .queued)
        #expect(queued.createdAt == Self.at(100) && queued.startedAt == nil && queued.endedAt == nil)

        _ = try await JournalFixture.append(journal, [
            Self.change(d(.agentStarted), RunRecordChange(state: .running, startedAt: Self.at(200))),
            JournalFixture.entry(d(.toolExecuting)),
        ]).get()
        #expect(try await JournalFixture.findRun(journal, id: "e1", user: "alice")?.state == .running)
        _ = try await JournalFixture.append(journal, [
            Self.change(d(.agentCompleted), RunRecordChange(state: .completed, endedAt: Self.at(300), resultJSON: #"{"answer":42,"list":[1,"two"]}"#)),
        ]).get()
        _ = try await JournalFixture.append(journal, [
            Self.change(d(.agentStarted), RunRecordChange(state: .running, startedAt: Self.at(999))),
        ]).get()
        let record = try #require(try await JournalFixture.findRun(journal, id: "e1", user: "alice"))
        let identity = JournalFixture.identity(user: "alice", execution: "e1")
        #expect(record == RunSnapshot(id: "e1", engineID: identity.engineID, userID: "alice", threadID: identity.threadID,
                                      runID: identity.runID, agent: "echo", state: .completed, reason: nil, errorMessage: nil,
                                      result: .object(["answer": .integer(42), "list": .array([.integer(1), .string("two")])]),
                                      createdAt: Self.at(100), startedAt: Self.at(200), endedAt: Self.at(300)))
        #expect(try await JournalFixture.findRun(journal, id: "e1", user: "bob") == nil, "another user's run is not there")
        #expect(try await JournalFixture.findRun(journal, id: "nothing", user: "alice") == nil)
    }

    @Test("several changes of one run in one batch: the first terminal one wins, else the last; times are kept")
    func foldsWithinABatch() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        let journal = PostgresEventJournal(pool: database.pool, replicaID: "a", logger: Self.logger)
        let failing = { (type: EventType) in JournalFixture.draft(user: "alice", execution: "f", type: type) }
        let cancelling = { (type: EventType) in JournalFixture.draft(user: "bob", execution: "c", type: type) }
        _ = try await JournalFixture.append(journal, [
            Self.change(failing(.runQueued), RunRecordChange(state: .queued, createdAt: Self.at(10))),
            Self.change(cancelling(.agentStarted), RunRecordChange(state: .running, startedAt: Self.at(15))),
            Self.change(failing(.agentStarted), RunRecordChange(state: .running, startedAt: Self.at(20))),
            Self.change(failing(.agentError), RunRecordChange(state: .failed, endedAt: Self.at(30), reason: "bad_output",
                                                              errorMessage: "the agent wrote \"garbage\"")),
            Self.change(failing(.agentStarted), RunRecordChange(state: .running, startedAt: Self.at(40))),
            Self.change(cancelling(.agentThinking), RunRecordChange(state: .cancelling, reason: "cancelled")),
        ]).get()
        let failed = try #require(try await JournalFixture.findRun(journal, id: "f", user: "alice"))
        #expect(failed.state == .failed && failed.reason == "bad_output" && failed.errorMessage == "the agent wrote \"garbage\"")
        #expect(failed.createdAt == Self.at(10) && failed.startedAt == Self.at(20) && failed.endedAt == Self.at(30))
        let live = try #require(try await JournalFixture.findRun(journal, id: "c", user: "bob"))
        #expect(live.state == .cancelling && live.reason == "cancelled")
        #expect(live.createdAt == Self.at(15), "a run first seen running was created when it started")
    }

    @Test("a dead replica's live runs end replica_lost with one agent_error each, though two replicas expire it at once")
    func replicaLost() async throws {
        let database = try await StoreDatabase.make()
        let otherPool = try JournalFixture.pool(on: database)
        defer {
            database.pool.shutdown()
            otherPool.shutdown()
        }
        try await database.register("A", milliseconds: -1_000)
        try await database.register("B", milliseconds: 60_000)
        try await database.register("C", milliseconds: 60_000)
        let onA = PostgresEventJournal(pool: database.pool, replicaID: "A", logger: Self.logger)
        let onB = PostgresEventJournal(pool: otherPool, replicaID: "B", logger: Self.logger)
        let draft = { (user: String, execution: String, type: EventType) in JournalFixture.draft(user: user, execution: execution, type: type) }
        _ = try await JournalFixture.append(onA, [
            Self.change(draft("alice", "queued-on-a", .runQueued), RunRecordChange(state: .queued, createdAt: Self.at(1))),
            Self.change(draft("bob", "running-on-a", .agentStarted), RunRecordChange(state: .running, startedAt: Self.at(2))),
            Self.change(draft("alice", "done-on-a", .agentStarted), RunRecordChange(state: .running, startedAt: Self.at(3))),
            Self.change(draft("alice", "done-on-a", .agentCompleted), RunRecordChange(state: .completed, endedAt: Self.at(4), resultJSON: "1")),
        ]).get()
        _ = try await JournalFixture.append(onB, [
            Self.change(draft("alice", "running-on-b", .agentStarted), RunRecordChange(state: .running, startedAt: Self.at(5))),
        ]).get()

        let leaseB = ReplicaLease(replicaID: "B", duration: .seconds(60), pool: database.pool, slots: nil, logger: Self.logger)
        let leaseC = ReplicaLease(replicaID: "C", duration: .seconds(60), pool: otherPool, slots: nil, logger: Self.logger)
        async let renewedB: Void = leaseB.renew()
        async let renewedC: Void = leaseC.renew()
        _ = await (renewedB, renewedC)

        #expect(try await database.integer("SELECT count(*) FROM replicas WHERE replica_id = 'A'") == 0)
        let alice = try await JournalFixture.read(onB, user: "alice")
        let bob = try await JournalFixture.read(onB, user: "bob")
        #expect(alice.events.map(\.id) == [1, 2, 3, 4, 5] && alice.lastID == 5)
        #expect(bob.events.map(\.id) == [1, 2])
        let ends = (alice.events + bob.events).filter { $0.type == .agentError }
        #expect(ends.map(\.executionID).sorted() == ["queued-on-a", "running-on-a"], "exactly one terminal event per live run of A")
        for event in ends {
            let parsed = try JSONValue.parse(event.json)
            let identity = JournalFixture.identity(user: event.identity.userID, execution: event.executionID)
            #expect(event.identity == identity)
            #expect(parsed["thread_id"]?.stringValue == identity.threadID && parsed["agent"]?.stringValue == "echo")
            #expect(parsed["type"]?.stringValue == "agent_error" && parsed["id"]?.int64Value == Int64(event.id))
            #expect(parsed["data"] == .object(["kind": .string("replica_lost"),
                                               "message": .string("the replica running this run stopped (A)")]))
            let stamp = try #require(parsed["timestamp"]?.stringValue)
            #expect(stamp == event.envelope.timestamp.iso8601, "the timestamp has the encoder's form and matches published_ns")
            let record = try #require(try await JournalFixture.findRun(onB, id: event.executionID, user: event.identity.userID))
            #expect(record.state == .failed && record.reason == "replica_lost")
            #expect(record.errorMessage == "the replica running this run stopped (A)" && record.endedAt != nil)
        }
        #expect(try await JournalFixture.findRun(onB, id: "done-on-a", user: "alice")?.state == .completed)
        #expect(try await JournalFixture.findRun(onB, id: "running-on-b", user: "alice")?.state == .running)

        // B starts again under its name: its run of the previous life ends the same way, once.
        let restartedB = ReplicaLease(replicaID: "B", duration: .seconds(60), pool: otherPool, slots: nil, logger: Self.logger)
        try await restartedB.start()
        let again = try await JournalFixture.read(onB, user: "alice", after: 5)
        #expect(again.events.map(\.executionID) == ["running-on-b"] && again.events.first?.type == .agentError)
        #expect(try await JournalFixture.findRun(onB, id: "running-on-b", user: "alice")?.reason == "replica_lost")
        await restartedB.stop()
        let thirdB = ReplicaLease(replicaID: "B", duration: .seconds(60), pool: otherPool, slots: nil, logger: Self.logger)
        try await thirdB.start()
        #expect(try await JournalFixture.read(onB, user: "alice", after: 6).events.isEmpty, "ended once only")
        await thirdB.stop()
    }
}
