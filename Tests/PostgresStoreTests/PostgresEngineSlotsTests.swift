import ExecutionCore
import Logging
import PostgresClient
@testable import PostgresStore
import Synchronization
import Testing

/// Engine slots in PostgreSQL (issue 13): the limits hold across replicas atomically, release
/// gives back, and a dead replica's slots go with its lease.
@Suite("PostgreSQL engine slots", .enabled(if: StoreDatabase.available))
struct PostgresEngineSlotsTests {
    static func reserve(_ slots: PostgresEngineSlots, _ user: String, userLimit: Int = 3, globalLimit: Int = 100) async -> SlotReservation {
        await withCheckedContinuation { continuation in
            slots.reserve(userID: user, userLimit: userLimit, globalLimit: globalLimit) { continuation.resume(returning: $0) }
        }
    }

    @Test("forty racing reservations over two replicas: exactly the user's limit is granted; global limit across users")
    func limitsHoldUnderRaces() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        try await database.register("r1", milliseconds: 60_000)
        try await database.register("r2", milliseconds: 60_000)
        let r1 = PostgresEngineSlots(pool: database.pool, replicaID: "r1", logger: Logger(label: "t"))
        let r2 = PostgresEngineSlots(pool: database.pool, replicaID: "r2", logger: Logger(label: "t"))
        let answers = await withTaskGroup(of: SlotReservation.self) { group in
            for index in 0..<40 { group.addTask { await Self.reserve(index.isMultiple(of: 2) ? r1 : r2, "alice") } }
            return await group.reduce(into: [SlotReservation]()) { $0.append($1) }
        }
        #expect(answers.filter { $0 == .reserved }.count == 3)
        #expect(answers.filter { if case .userLimitReached = $0 { return true } else { return false } }.count == 37)
        #expect(r1.held(userID: "alice") + r2.held(userID: "alice") == 3)
        #expect(try await database.integer("SELECT count(*) FROM engine_slots WHERE user_id = 'alice'") == 3)

        // Global: 5 in total, whoever asks.
        var granted = 0
        for user in ["bob", "carol", "dave"] {
            for _ in 0..<2 where await Self.reserve(r1, user, userLimit: 2, globalLimit: 5) == .reserved { granted += 1 }
        }
        #expect(granted == 2)
        #expect(await Self.reserve(r2, "erin", userLimit: 2, globalLimit: 5) == .globalLimitReached)
    }

    @Test("release gives the slot back (in the background); a user with none gets false")
    func release() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        try await database.register("r1", milliseconds: 60_000)
        let slots = PostgresEngineSlots(pool: database.pool, replicaID: "r1", logger: Logger(label: "t"))
        #expect(await Self.reserve(slots, "alice", userLimit: 1) == .reserved)
        #expect(await Self.reserve(slots, "alice", userLimit: 1) == .userLimitReached(held: 1))
        #expect(slots.release(userID: "alice"))
        #expect(!slots.release(userID: "alice"))
        #expect(!slots.release(userID: "nobody"))
        var reserved = false
        for _ in 0..<100 where !reserved {
            reserved = await Self.reserve(slots, "alice", userLimit: 1) == .reserved
            if !reserved { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(reserved)
        #expect(slots.totalHeld == 1)
    }

    @Test("releases of one user at once each give back a slot of their own (none is lost)")
    func concurrentReleases() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        try await database.register("r1", milliseconds: 60_000)
        let slots = PostgresEngineSlots(pool: database.pool, replicaID: "r1", logger: Logger(label: "t"))
        for _ in 0..<20 { #expect(await Self.reserve(slots, "alice", userLimit: 20) == .reserved) }
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { slots.release(userID: "alice") } }
        }
        var left = -1
        for _ in 0..<200 where left != 0 {
            left = try await database.integer("SELECT count(*) FROM engine_slots WHERE user_id = 'alice'")
            if left != 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(left == 0, "slot rows left after every release")
        #expect(slots.held(userID: "alice") == 0)
    }

    @Test("a replica whose lease ran out is removed with its slots; a live one that was taken for dead registers again with them")
    func leases() async throws {
        let database = try await StoreDatabase.make()
        defer { database.pool.shutdown() }
        let logger = Logger(label: "t")
        let deadSlots = PostgresEngineSlots(pool: database.pool, replicaID: "dead", logger: logger)
        let liveSlots = PostgresEngineSlots(pool: database.pool, replicaID: "live", logger: logger)
        let dead = ReplicaLease(replicaID: "dead", duration: .seconds(30), pool: database.pool, slots: deadSlots, logger: logger)
        let live = ReplicaLease(replicaID: "live", duration: .seconds(30), pool: database.pool, slots: liveSlots, logger: logger)
        try await dead.start()
        try await live.start()
        #expect(await Self.reserve(deadSlots, "alice") == .reserved)
        #expect(await Self.reserve(liveSlots, "alice") == .reserved)
        // The dead replica's lease runs out; the live one's renewal removes it and its slot.
        try await database.run("UPDATE replicas SET lease_expires_at = now() - interval '1 second' WHERE replica_id = 'dead'")
        await live.renew()
        #expect(try await database.integer("SELECT count(*) FROM engine_slots") == 1)
        #expect(try await database.integer("SELECT count(*) FROM replicas WHERE replica_id = 'dead'") == 0)
        // It was only paused: its renewal finds its row gone, registers again and restores its slot.
        await dead.renew()
        #expect(try await database.integer("SELECT count(*) FROM engine_slots WHERE replica_id = 'dead'") == 1)
        #expect(try await database.integer("SELECT count(*) FROM replicas WHERE replica_id = 'dead'") == 1)
        // A clean stop removes the replica and its slots.
        await live.stop()
        #expect(try await database.integer("SELECT count(*) FROM engine_slots WHERE replica_id = 'live'") == 0)
        await dead.stop()
    }
}
