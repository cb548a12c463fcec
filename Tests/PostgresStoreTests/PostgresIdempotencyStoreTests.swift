import ExecutionCore
import Logging
import PostgresClient
@testable import PostgresStore
import Testing

/// Idempotency keys in PostgreSQL (issue 13): the same answers as the in-memory store, shared by
/// replicas, with keys of dead replicas taken over, a per-user cap and bounded expiry.
@Suite("PostgreSQL idempotency store", .enabled(if: StoreDatabase.available))
struct PostgresIdempotencyStoreTests {
    static func begin(_ store: PostgresIdempotencyStore, _ user: String, _ key: String, _ fingerprint: [UInt8]) async -> IdempotencyDecision {
        await withCheckedContinuation { continuation in
            store.begin(userID: user, key: key, fingerprint: fingerprint, now: Timestamp(nanoseconds: 0)) { continuation.resume(returning: $0) }
        }
    }

    /// Waits until the background write of `complete`/`release` has landed.
    static func settle(_ database: StoreDatabase, _ sql: String, equals value: Int) async throws {
        for _ in 0..<200 {
            if try await database.integer(sql) == value { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("\(sql) never became \(value)")
    }

    @Test("proceed, in progress, replay after complete (on another replica), mismatch, per user, release")
    func decisions() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        try await database.register("r1", milliseconds: 60_000)
        try await database.register("r2", milliseconds: 60_000)
        let a = PostgresIdempotencyStore(pool: database.pool, replicaID: "r1", ttl: .seconds(60), maxKeysPerUser: 10, logger: Logger(label: "t"))
        let b = PostgresIdempotencyStore(pool: database.pool, replicaID: "r2", ttl: .seconds(60), maxKeysPerUser: 10, logger: Logger(label: "t"))
        #expect(await Self.begin(a, "alice", "k1", [1, 2]) == .proceed)
        #expect(await Self.begin(b, "alice", "k1", [1, 2]) == .inProgress)
        #expect(await Self.begin(b, "bob", "k1", [1, 2]) == .proceed)
        await withCheckedContinuation { done in a.complete(userID: "alice", key: "k1", payload: [0, 255, 7, 92], now: Timestamp(nanoseconds: 0)) { done.resume() } }
        try await Self.settle(database, "SELECT count(*) FROM idempotency_keys WHERE payload IS NOT NULL", equals: 1)
        #expect(await Self.begin(b, "alice", "k1", [1, 2]) == .replay(payload: [0, 255, 7, 92]))
        #expect(await Self.begin(b, "alice", "k1", [9]) == .fingerprintMismatch)
        b.release(userID: "bob", key: "k1")
        try await Self.settle(database, "SELECT count(*) FROM idempotency_keys WHERE user_id = 'bob'", equals: 0)
        #expect(await Self.begin(a, "bob", "k1", [3]) == .proceed)
    }

    @Test("a key in progress on a replica that is gone is taken over; an expired key is new again")
    func takeOverAndExpiry() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        try await database.register("gone", milliseconds: 60_000)
        try await database.register("r2", milliseconds: 60_000)
        let gone = PostgresIdempotencyStore(pool: database.pool, replicaID: "gone", ttl: .seconds(60), maxKeysPerUser: 10, logger: Logger(label: "t"))
        let live = PostgresIdempotencyStore(pool: database.pool, replicaID: "r2", ttl: .seconds(60), maxKeysPerUser: 10, logger: Logger(label: "t"))
        #expect(await Self.begin(gone, "alice", "k", [1]) == .proceed)
        #expect(await Self.begin(live, "alice", "k", [1]) == .inProgress)
        try await database.run("DELETE FROM replicas WHERE replica_id = 'gone'")
        #expect(await Self.begin(live, "alice", "k", [1]) == .proceed)

        await withCheckedContinuation { done in live.complete(userID: "alice", key: "k", payload: [4], now: Timestamp(nanoseconds: 0)) { done.resume() } }
        try await Self.settle(database, "SELECT count(*) FROM idempotency_keys WHERE payload IS NOT NULL", equals: 1)
        try await database.run("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
        #expect(await Self.begin(live, "alice", "k", [2]) == .proceed)
        // Expired rows are deleted by the sweep, in batches.
        try await database.run("""
            INSERT INTO idempotency_keys (user_id, key, fingerprint, expires_at)
            SELECT 'old', 'k' || n, '\\x00', now() - interval '1 hour' FROM generate_series(1, 2500) AS n
            """)
        live.sweep(now: Timestamp(nanoseconds: 0))
        try await Self.settle(database, "SELECT count(*) FROM idempotency_keys WHERE user_id = 'old'", equals: 0)
        for _ in 0..<200 where live.count != 1 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(live.count == 1)
    }

    @Test("past max_keys_per_user the oldest keys are forgotten first")
    func perUserCap() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        try await database.register("r1", milliseconds: 60_000)
        let store = PostgresIdempotencyStore(pool: database.pool, replicaID: "r1", ttl: .seconds(60), maxKeysPerUser: 3, logger: Logger(label: "t"))
        for index in 0..<5 {
            #expect(await Self.begin(store, "alice", "k\(index)", [1]) == .proceed)
        }
        #expect(try await database.integer("SELECT count(*) FROM idempotency_keys WHERE user_id = 'alice'") == 3)
        #expect(try await database.integer("SELECT count(*) FROM idempotency_keys WHERE user_id = 'alice' AND key IN ('k0', 'k1')") == 0)
    }
}
