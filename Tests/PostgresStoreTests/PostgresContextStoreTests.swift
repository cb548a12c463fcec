import ExecutionCore
import IsolationdTesting
import Logging
import PostgresClient
@testable import PostgresStore
import Testing

/// Execution contexts in PostgreSQL (issue 13): bounds hold under concurrent inserts from two
/// replicas, every operation is scoped by user, pages seek newest first like the in-memory
/// store, expired contexts are invisible and swept, and a delete takes the descendants along.
@Suite("PostgreSQL context store", .enabled(if: StoreDatabase.available))
struct PostgresContextStoreTests {
    let policy = ContextPolicy()
    let clock = ManualClock()

    /// A migrated database, made off the cooperative pool (migrations block).
    static func database() async throws -> StoreDatabase {
        try await StoreDatabase.make()
    }

    /// `StoreDatabase.integer` off the cooperative pool (it opens a blocking connection).
    static func integer(_ database: StoreDatabase, _ sql: String) async throws -> Int {
        try await database.integer(sql)
    }

    static func store(_ database: StoreDatabase, perUser: Int = 100, total: Int = 1000) -> PostgresContextStore {
        PostgresContextStore(pool: database.pool, maxPerUser: perUser, maxTotal: total, logger: Logger(label: "t"))
    }

    func context(_ user: String, thread: String = "t") throws -> UserExecutionContext {
        clock.advance(by: .milliseconds(1))
        return try policy.makeContext(userID: user, threadID: thread, clock: clock)
    }

    func insert(_ store: PostgresContextStore, _ context: UserExecutionContext, ttl: Duration = .seconds(60)) async -> Result<Void, ContextRegistryError> {
        let now = clock.now()
        return await withCheckedContinuation { continuation in
            store.insert(context, expiresAt: now + ttl, now: now) { continuation.resume(returning: $0) }
        }
    }

    func lookup(_ store: PostgresContextStore, _ id: String, _ user: String) async throws -> UserExecutionContext? {
        try await withCheckedContinuation { continuation in
            store.context(requestID: id, userID: user, now: clock.now()) { continuation.resume(returning: $0) }
        }.get()
    }

    func page(_ store: some ContextStore, _ user: String, before: ListingKey?, limit: Int) async throws -> [UserExecutionContext] {
        try await withCheckedContinuation { continuation in
            store.contexts(userID: user, now: clock.now(), before: before, limit: limit) { continuation.resume(returning: $0) }
        }.get()
    }

    func removeTree(_ store: PostgresContextStore, _ id: String, _ user: String) async throws -> [String]? {
        try await withCheckedContinuation { continuation in
            store.removeWithDescendants(requestID: id, userID: user, now: clock.now()) { continuation.resume(returning: $0) }
        }.get()
    }

    func count(_ store: PostgresContextStore, _ user: String) async throws -> Int {
        try await withCheckedContinuation { continuation in
            store.count(userID: user) { continuation.resume(returning: $0) }
        }.get()
    }

    @Test("thirty inserts at once over two replicas' stores: exactly the per-user bound; the total bound across users")
    func boundsUnderConcurrency() async throws {
        let database = try await Self.database()
        defer { database.pool.shutdown() }
        let a = Self.store(database, perUser: 5, total: 12)
        let b = Self.store(database, perUser: 5, total: 12)
        var contexts: [UserExecutionContext] = []
        for _ in 0..<30 { contexts.append(try context("alice")) }
        let outcomes = await withTaskGroup(of: Result<Void, ContextRegistryError>.self) { group in
            for (index, context) in contexts.enumerated() {
                group.addTask { await insert(index.isMultiple(of: 2) ? a : b, context) }
            }
            return await group.reduce(into: [Result<Void, ContextRegistryError>]()) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .success = $0 { true } else { false } }.count == 5)
        #expect(outcomes.filter { if case .failure(.userLimitExceeded(limit: 5)) = $0 { true } else { false } }.count == 25)
        #expect(try await count(a, "alice") == 5)

        // Total 12: alice 5, bob 5, then carol gets 2 and no more, whoever asks.
        for _ in 0..<5 { try await insert(a, context("bob")).get() }
        var carol: [Result<Void, ContextRegistryError>] = []
        for index in 0..<4 { carol.append(await insert(index.isMultiple(of: 2) ? a : b, try context("carol"))) }
        #expect(carol.filter { if case .success = $0 { true } else { false } }.count == 2)
        #expect(carol.filter { if case .failure(.totalLimitExceeded(limit: 12)) = $0 { true } else { false } }.count == 2)
        #expect(try await Self.integer(database, "SELECT count(*) FROM contexts") == 12)
        // Registering a kept context again only refreshes it, even at the bound.
        let kept = try #require(try await page(a, "alice", before: nil, limit: 1).first)
        try await insert(b, kept).get()
    }

    @Test("scoped by user: another user's id is not found, not removed, not listed, not counted")
    func perUserScoping() async throws {
        let database = try await Self.database()
        defer { database.pool.shutdown() }
        let store = Self.store(database)
        let mine = try context("alice")
        try await insert(store, mine).get()
        #expect(try await lookup(store, mine.requestID, "alice") == mine)
        #expect(try await lookup(store, mine.requestID, "mallory") == nil)
        #expect(try await lookup(store, "no-such-id", "alice") == nil)
        #expect(try await page(store, "mallory", before: nil, limit: 10).isEmpty)
        #expect(try await count(store, "mallory") == 0)
        #expect(try await removeTree(store, mine.requestID, "mallory") == nil)
        #expect(try await lookup(store, mine.requestID, "alice") == mine)
    }

    @Test("pages newest first, seeking by (created_at, id), equal to the in-memory store's pages, ties included")
    func paging() async throws {
        let database = try await Self.database()
        defer { database.pool.shutdown() }
        let store = Self.store(database)
        let memory = InMemoryContextStore()
        var contexts: [UserExecutionContext] = []
        for index in 0..<9 {
            // Every third pair shares a creation time: the id decides.
            if index % 3 != 2 { clock.advance(by: .milliseconds(1)) }
            contexts.append(try policy.makeContext(userID: "alice", threadID: "t\(index)", clock: clock))
        }
        for context in contexts {
            try await insert(store, context).get()
            try memory.insert(context, expiresAt: clock.now() + .seconds(60), now: clock.now())
        }
        _ = try await insert(store, context("bob"))
        var seen: [UserExecutionContext] = []
        var cursor: ListingKey?
        repeat {
            let shared = try await page(store, "alice", before: cursor, limit: 4)
            #expect(shared == memory.contexts(userID: "alice", now: clock.now(), before: cursor, limit: 4))
            seen += shared
            cursor = shared.count == 4 ? shared.last?.listingKey : nil
        } while cursor != nil
        #expect(seen == contexts.sorted { $0.listingKey > $1.listingKey })
    }

    @Test("expired contexts are invisible at once, make room at the user's bound, and are deleted by the sweep")
    func expiry() async throws {
        let database = try await Self.database()
        defer { database.pool.shutdown() }
        let store = Self.store(database, perUser: 2)
        let short = try context("alice")
        try await insert(store, short, ttl: .seconds(10)).get()
        try await insert(store, try context("alice"), ttl: .seconds(10)).get()
        try await insert(store, try context("bob"), ttl: .seconds(600)).get()
        #expect(try await lookup(store, short.requestID, "alice") == short)
        clock.advance(by: .seconds(11))
        #expect(try await lookup(store, short.requestID, "alice") == nil)
        #expect(try await page(store, "alice", before: nil, limit: 10).isEmpty)
        #expect(try await count(store, "alice") == 2, "expired but not yet swept")
        // At the bound, the user's expired contexts go first.
        try await insert(store, try context("alice")).get()
        #expect(try await count(store, "alice") == 1)

        try await insert(store, try context("carol"), ttl: .seconds(5)).get()
        clock.advance(by: .seconds(6))
        #expect(store.removeExpired(now: clock.now()) == 0, "the sweep runs in the background")
        #expect(await eventuallyAsync(within: .seconds(10)) { (try? await Self.integer(database, "SELECT count(*) FROM contexts WHERE user_id = 'carol'")) == 0 })
        #expect(await eventuallyAsync(within: .seconds(10)) { store.totalCount == 2 })
    }

    @Test("removing a context removes its descendants (own id first), not its parent, siblings' trees or other roots")
    func descendants() async throws {
        let database = try await Self.database()
        defer { database.pool.shutdown() }
        let store = Self.store(database)
        let root = try context("alice")
        let child = try root.child(operationName: "a", policy: policy, clock: clock)
        let grandchild = try child.child(operationName: "b", policy: policy, clock: clock)
        let sibling = try root.child(operationName: "c", policy: policy, clock: clock)
        let other = try context("alice")
        for context in [root, child, grandchild, sibling, other] { try await insert(store, context).get() }
        #expect(try await lookup(store, grandchild.requestID, "alice") == grandchild)

        let removedChild = try #require(try await removeTree(store, child.requestID, "alice"))
        #expect(removedChild == [child.requestID, grandchild.requestID])
        #expect(try await lookup(store, root.requestID, "alice") == root)
        #expect(try await lookup(store, sibling.requestID, "alice") == sibling)

        let removed = try #require(try await removeTree(store, root.requestID, "alice"))
        #expect(removed == [root.requestID, sibling.requestID])
        #expect(try await removeTree(store, root.requestID, "alice") == nil)
        #expect(try await page(store, "alice", before: nil, limit: 10) == [other])
    }

    @Test("a context comes back from the table equal, audit trail and parent link included")
    func jsonRoundTripThroughTheTable() async throws {
        let database = try await Self.database()
        defer { database.pool.shutdown() }
        let store = Self.store(database)
        let root = try policy.makeContext(
            userID: "alice", threadID: "thread", runID: "run", websocketClientID: "ws",
            agentContext: ["x": .double(0.5), "y": .array([.integer(1), .null, .string("\u{1F600}")]), "z": .double(2.0)],
            auditMetadata: ["who": .string("me")], clock: clock)
        let child = try root.child(operationName: "op", auditMetadata: ["k": .bool(false)], policy: policy, clock: clock)
        for context in [root, child] {
            try await insert(store, context).get()
            let back = try #require(try await lookup(store, context.requestID, "alice"))
            #expect(back == context)
            #expect(back.auditTrail(now: clock.now()).jsonValue == context.auditTrail(now: clock.now()).jsonValue)
        }
        #expect(try await lookup(store, child.requestID, "alice")?.parentRequestID == root.requestID)
    }
}
