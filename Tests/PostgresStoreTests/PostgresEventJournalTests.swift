@testable import ExecutionCore
import Logging
import PostgresClient
@testable import PostgresStore
import Synchronization
import Testing

/// The event journal in PostgreSQL (issue 13): per-user ids from the database, strictly
/// increasing, contiguous and never reused across replicas and restarts; resumable reads; the
/// cross-replica wake-up.
@Suite("PostgreSQL event journal", .enabled(if: StoreDatabase.available))
struct PostgresEventJournalTests {
    static let logger = Logger(label: "test.journal")

    @Test("two replicas append racing batches for the same users: each user's ids are contiguous, unique and in batch order")
    func racingAppends() async throws {
        let database = try await StoreDatabase.make()
        let otherPool = try JournalFixture.pool(on: database)
        defer {
            database.pool.shutdown()
            otherPool.shutdown()
        }
        let journals = [PostgresEventJournal(pool: database.pool, replicaID: "a", logger: Self.logger),
                        PostgresEventJournal(pool: otherPool, replicaID: "b", logger: Self.logger)]
        let users = ["alice", "bob", "carol", "dave and eve"]
        typealias Appended = (journal: Int, batch: Int, users: [String], ids: Result<[UInt64], JournalError>)
        let appended = await withTaskGroup(of: Appended.self) { group in
            for batch in 0..<24 {
                for journal in 0..<2 {
                    let size = 1 + (batch * 7 + journal * 5) % 13
                    let batchUsers = (0..<size).map { users[(batch + $0 * 3 + journal) % users.count] }
                    let entries = batchUsers.enumerated().map {
                        JournalFixture.marked(user: $0.element, journal: journal, batch: batch, index: $0.offset)
                    }
                    group.addTask { (journal, batch, batchUsers, await JournalFixture.append(journals[journal], entries)) }
                }
            }
            return await group.reduce(into: [Appended]()) { $0.append($1) }
        }
        var idsByUser: [String: [UInt64]] = [:]
        var expectedPlace: [String: [UInt64: (journal: Int, batch: Int, index: Int)]] = [:]
        for result in appended {
            let ids = try result.ids.get()
            try #require(ids.count == result.users.count)
            var previous: [String: UInt64] = [:]
            for (index, (user, id)) in zip(result.users, ids).enumerated() {
                #expect(id > previous[user, default: 0], "ids of one user follow batch order")
                previous[user] = id
                idsByUser[user, default: []].append(id)
                expectedPlace[user, default: [:]][id] = (result.journal, result.batch, index)
            }
        }
        for user in users {
            let ids = idsByUser[user, default: []].sorted()
            #expect(ids == Array(1...UInt64(ids.count)), "\(user)'s ids are 1...n, each once")
            let page = try await JournalFixture.read(journals[1], user: user, limit: 10_000)
            #expect(page.lastID == UInt64(ids.count))
            #expect(page.events.map(\.id) == ids)
            for event in page.events {
                let place = try #require(expectedPlace[user]?[event.id])
                #expect(event.data["journal"]?.int64Value == Int64(place.journal))
                #expect(event.data["batch"]?.int64Value == Int64(place.batch))
                #expect(event.data["index"]?.int64Value == Int64(place.index))
                #expect(event.identity.userID == user)
            }
        }
    }

    @Test("a replica started after the previous one shut down continues every user's ids")
    func idsContinueAcrossRestarts() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        let first = PostgresEventJournal(pool: database.pool, replicaID: "a", logger: Self.logger)
        let batch = (0..<3).map { JournalFixture.marked(user: "alice", journal: 0, batch: 0, index: $0) }
        #expect(try await JournalFixture.append(first, batch).get() == [1, 2, 3])
        database.pool.shutdown()
        // The shut-down pool fails the append as a JournalError, and numbers nothing.
        guard case .failure = await JournalFixture.append(first, batch) else {
            Issue.record("an append through a shut-down pool succeeded")
            return
        }

        let pool = try JournalFixture.pool(on: database)
        defer { pool.shutdown() }
        let second = PostgresEventJournal(pool: pool, replicaID: "a", logger: Self.logger)
        let more = [JournalFixture.marked(user: "alice", journal: 1, batch: 0, index: 0),
                    JournalFixture.marked(user: "bob", journal: 1, batch: 0, index: 1),
                    JournalFixture.marked(user: "alice", journal: 1, batch: 0, index: 2)]
        #expect(try await JournalFixture.append(second, more).get() == [4, 1, 5])
        #expect(try await JournalFixture.append(second, []).get() == [])
    }
}
