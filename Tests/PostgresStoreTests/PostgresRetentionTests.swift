@testable import ExecutionCore
import IsolationdTesting
import Logging
import PostgresClient
@testable import PostgresStore
import Testing

/// Retention of the shared tables (issue 13): only old rows go, in bounded batches, one replica
/// at a time, and event ids continue after their events are gone.
@Suite("PostgreSQL retention", .enabled(if: StoreDatabase.available))
struct PostgresRetentionTests {
    static let logger = Logger(label: "test.retention")
    static let hour: Int64 = 3_600_000

    @Test("old events, ended runs and expired keys go in bounded batches; a concurrent call does nothing; ids continue")
    func deletesOldRowsInBatches() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        let journal = PostgresEventJournal(pool: database.pool, replicaID: "a", logger: Self.logger)
        var batch = (0..<5).map { JournalFixture.marked(user: "alice", journal: 0, batch: 0, index: $0) }
        batch += (0..<3).map { JournalFixture.marked(user: "bob", journal: 0, batch: 0, index: $0) }
        for (execution, state) in [("old-ended", RunState.completed), ("new-ended", .failed), ("old-live", .running)] {
            let draft = JournalFixture.draft(user: "carol", execution: execution)
            batch.append(JournalFixture.entry(draft, run: RunRecordChange(state: state, startedAt: Timestamp(nanoseconds: 1))))
        }
        _ = try await JournalFixture.append(journal, batch).get()
        try await database.run("UPDATE events SET created_at = now() - interval '2 hours' WHERE id <= 3")
        try await database.run("UPDATE runs SET updated_at = now() - interval '2 hours' WHERE execution_id LIKE 'old-%'")
        try await database.run("""
            INSERT INTO idempotency_keys (user_id, key, fingerprint, expires_at) VALUES
                ('alice', 'k1', '\\x00', now() - interval '1 second'), ('alice', 'k2', '\\x00', now() - interval '1 second'),
                ('bob', 'k3', '\\x00', now() - interval '1 second'), ('bob', 'k4', '\\x00', now() + interval '1 hour')
            """)

        // One call holds the lock in an open transaction: it deleted one bounded batch; another
        // call at the same time does nothing. Rolled back, so the sweep below finds everything.
        let url = database.url
        let (first, concurrent) = try await BlockingIO.run { () throws -> ([Int64], [Int64]) in
            let holder = try PostgresBlockingConnection(url: url)
            defer { holder.close() }
            _ = try holder.execute("BEGIN")
            let sql = "SELECT deleted_events, deleted_runs, deleted_keys FROM isod_retention(\(Self.hour), \(Self.hour), 4)"
            let first = try holder.execute(sql).rows[0]
            let other = try PostgresPool.runBlocking(url: url, sql).rows[0]
            _ = try holder.execute("ROLLBACK")
            return ((0..<3).map { first.int($0) ?? -1 }, (0..<3).map { other.int($0) ?? -1 })
        }
        #expect(first == [4, 1, 3], "at most a batch of 4 events of the 9 old ones")
        #expect(concurrent == [0, 0, 0], "the lock is taken: the second replica's call deletes nothing")

        let retention = PostgresRetention(pool: database.pool, eventAge: .seconds(3600), runAge: .seconds(3600),
                                          interval: .seconds(3600), batchSize: 4, logger: Self.logger)
        #expect(await retention.sweep() == PostgresRetention.Deleted(events: 9, runs: 1, idempotencyKeys: 3))
        #expect(try await database.integer("SELECT count(*) FROM events") == 2)
        #expect(try await database.integer("SELECT count(*) FROM events WHERE user_id = 'alice' AND id > 3") == 2)
        let kept = try await database.run("SELECT execution_id FROM runs ORDER BY execution_id").rows.compactMap { $0[0] }
        #expect(kept == ["new-ended", "old-live"], "live runs stay however old; recent ended ones stay")
        #expect(try await database.integer("SELECT count(*) FROM idempotency_keys") == 1)
        #expect(await retention.sweep() == PostgresRetention.Deleted())

        // Bob's events are all gone; his ids continue, and a read says where he stands.
        #expect(try await JournalFixture.append(journal, [JournalFixture.marked(user: "bob", journal: 1, batch: 0, index: 0)]).get() == [4])
        let page = try await JournalFixture.read(journal, user: "bob", after: 0)
        #expect(page.events.map(\.id) == [4] && page.lastID == 4)
    }

    @Test("started, the task sweeps every interval until stopped")
    func backgroundSweeps() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        let journal = PostgresEventJournal(pool: database.pool, replicaID: "a", logger: Self.logger)
        _ = try await JournalFixture.append(journal, (0..<3).map { JournalFixture.marked(user: "alice", journal: 0, batch: 0, index: $0) }).get()
        try await database.run("UPDATE events SET created_at = now() - interval '2 hours'")
        let retention = PostgresRetention(pool: database.pool, eventAge: .seconds(3600), runAge: .seconds(3600),
                                          interval: .milliseconds(50), batchSize: 2, logger: Self.logger)
        retention.start()
        #expect(try await JournalFixture.eventually { try await database.integer("SELECT count(*) FROM events") == 0 })
        await retention.stop()
        _ = try await JournalFixture.append(journal, [JournalFixture.marked(user: "alice", journal: 0, batch: 1, index: 0)]).get()
        try await database.run("UPDATE events SET created_at = now() - interval '2 hours'")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await database.integer("SELECT count(*) FROM events") == 1, "a stopped task deletes nothing more")
    }

    @Test("a stop that comes as a sweep begins: once stop returns, nothing more is deleted")
    func stopRacesASweep() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        let journal = PostgresEventJournal(pool: database.pool, replicaID: "a", logger: Self.logger)
        for round in 0..<40 {
            let retention = PostgresRetention(pool: database.pool, eventAge: .seconds(3600), runAge: .seconds(3600),
                                              interval: .milliseconds(1), logger: Self.logger)
            retention.start()
            try await Task.sleep(for: .microseconds(250 * (round % 8)))
            await retention.stop()
            _ = try await JournalFixture.append(journal, [JournalFixture.marked(user: "alice", journal: 0, batch: round, index: 0)]).get()
            try await database.run("UPDATE events SET created_at = now() - interval '2 hours'")
            try await Task.sleep(for: .milliseconds(5))
            #expect(try await database.integer("SELECT count(*) FROM events") == 1, "round \(round)")
            try await database.run("DELETE FROM events")
        }
    }
}
