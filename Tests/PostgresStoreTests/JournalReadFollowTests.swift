@testable import ExecutionCore
import Logging
import PostgresClient
@testable import PostgresStore
import Synchronization
import Testing

/// Reading the journal back (resume) and following it from another replica.
@Suite("PostgreSQL event journal: read and follow", .enabled(if: StoreDatabase.available))
struct JournalReadFollowTests {
    static let logger = Logger(label: "test.journal")

    @Test("read: the newest `limit` events after a cursor, oldest first, with the last id; the JSON a hub would have made")
    func readPages() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        let journal = PostgresEventJournal(pool: database.pool, replicaID: "a", logger: Self.logger)
        let hub = EventHub()
        var drafts: [EventDraft] = []
        for index in 0..<10 {
            let type: EventType = index == 0 ? .agentStarted : index == 9 ? .agentCompleted : .toolExecuting
            drafts.append(JournalFixture.draft(user: "alice", execution: "run-\(index / 4)", type: type,
                                               data: .object(["step": .integer(Int64(index)), "note": .string("a \"quoted\" line\n")]),
                                               at: 1_800_000_000_000_000_000 + Int64(index) * 1_234_567))
        }
        // Appended in three batches, bob's in between.
        for range in [0..<3, 3..<4, 4..<10] {
            var batch = drafts[range].map { JournalFixture.entry($0) }
            batch.append(JournalFixture.entry(JournalFixture.draft(user: "bob", execution: "b")))
            _ = try await JournalFixture.append(journal, batch).get()
        }
        let published = drafts.map { hub.publish($0) }

        let page = try await JournalFixture.read(journal, user: "alice", after: 3, limit: 4)
        #expect(page.lastID == 10)
        #expect(page.events.map(\.id) == [7, 8, 9, 10])
        for event in page.events {
            let original = published[Int(event.id) - 1]
            #expect(event.json == original.json, "byte for byte what the hub produced")
            #expect(event.type == original.type)
            #expect(event.identity == original.identity)
            #expect(event.executionID == original.executionID)
            #expect(event.envelope.timestamp == original.envelope.timestamp)
            let parsed = try JSONValue.parse(event.json)
            #expect(parsed["id"]?.int64Value == Int64(event.id))
            #expect(parsed["user_id"]?.stringValue == "alice")
            #expect(parsed["thread_id"]?.stringValue == original.identity.threadID)
            #expect(parsed["data"]?["step"]?.int64Value == Int64(event.id) - 1)
        }
        #expect(try await JournalFixture.read(journal, user: "alice", after: 8, limit: 100).events.map(\.id) == [9, 10])
        let caughtUp = try await JournalFixture.read(journal, user: "alice", after: 10, limit: 100)
        #expect(caughtUp.events.isEmpty)
        #expect(caughtUp.lastID == 10)
        #expect(try await JournalFixture.read(journal, user: "bob", limit: 2).events.map(\.id) == [2, 3])
        let stranger = try await JournalFixture.read(journal, user: "nobody", limit: 10)
        #expect(stranger.events.isEmpty)
        #expect(stranger.lastID == 0)
    }

    @Test("follow: appends of another replica wake this one with the user and its last id; resynchronize when listening")
    func followAcrossReplicas() async throws {
        let database = try await StoreDatabase.make()
        let otherPool = try JournalFixture.pool(on: database)
        defer {
            database.pool.shutdown()
            otherPool.shutdown()
        }
        let writer = PostgresEventJournal(pool: database.pool, replicaID: "a", logger: Self.logger)
        let follower = PostgresEventJournal(pool: otherPool, replicaID: "b", logger: Self.logger)
        let seen = Wakeups()
        follower.follow(appended: { user, last, committedAt in seen.record(user, last, committedAt) },
                        resynchronize: { seen.resynchronized() })
        #expect(try await JournalFixture.eventually { seen.resynchronizations > 0 }, "resynchronize once the LISTEN is in place")

        let before = SystemClock().now()
        _ = try await JournalFixture.append(writer, [
            JournalFixture.marked(user: "alice", journal: 0, batch: 0, index: 0),
            JournalFixture.marked(user: "the user with spaces", journal: 0, batch: 0, index: 1),
            JournalFixture.marked(user: "alice", journal: 0, batch: 0, index: 2),
        ]).get()
        _ = try await JournalFixture.append(writer, [JournalFixture.marked(user: "alice", journal: 0, batch: 1, index: 0)]).get()
        #expect(try await JournalFixture.eventually { seen.all.count >= 3 })
        let wakeups = seen.all
        #expect(wakeups.filter { $0.user == "alice" }.map(\.last) == [2, 3], "one wake-up per user and append, in commit order")
        #expect(wakeups.filter { $0.user == "the user with spaces" }.map(\.last) == [1])
        for wakeup in wakeups {
            let committedAt = try #require(wakeup.committedAt)
            #expect(committedAt >= before - .seconds(5) && committedAt <= SystemClock().now() + .seconds(5))
        }
    }

    @Test("notification payloads: the user may hold spaces; malformed ones are refused")
    func notificationPayloads() {
        #expect(JournalNotification("12 1700000000000001 dave and eve")
                == JournalNotification(userID: "dave and eve", lastID: 12, committedAt: Timestamp(nanoseconds: 1_700_000_000_000_001_000)))
        #expect(JournalNotification("12 x alice")?.committedAt == nil)
        #expect(JournalNotification("12 5")?.userID == nil)
        #expect(JournalNotification("x 5 alice") == nil)
        #expect(JournalNotification("12 5 ") == nil)
        #expect(JournalBatch.ids("{1,2,30}") == [1, 2, 30])
        #expect(JournalBatch.ids("{}") == [])
        #expect(JournalBatch.ids("{1,,2}") == nil)
        #expect(JournalBatch.ids("{1,2") == nil)
        #expect(JournalBatch.ids("{99999999999999999999999}") == nil)
    }
}

/// What a follower was told, from the pool's thread.
final class Wakeups: Sendable {
    struct Wakeup: Sendable {
        var user: String
        var last: UInt64
        var committedAt: Timestamp?
    }

    private let state = Mutex<(wakeups: [Wakeup], resynchronizations: Int)>(([], 0))

    func record(_ user: String, _ last: UInt64, _ committedAt: Timestamp?) {
        state.withLock { $0.wakeups.append(Wakeup(user: user, last: last, committedAt: committedAt)) }
    }

    func resynchronized() { state.withLock { $0.resynchronizations += 1 } }

    var all: [Wakeup] { state.withLock { $0.wakeups } }
    var resynchronizations: Int { state.withLock { $0.resynchronizations } }
}
