import PostgresClient
import Testing

@Suite("PostgresPool: commits, transactions and what callers see", .enabled(if: postgresAvailable, "needs PostgreSQL"))
struct PoolTransactionTests {
    static let createDeferred = PreparedStatement(
        name: "create_deferred",
        sql: "CREATE TABLE deferred (id int, CONSTRAINT deferred_unique UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)")
    static let insert = PreparedStatement(name: "insert_deferred", sql: "INSERT INTO deferred VALUES ($1::int)")
    static let count = PreparedStatement(name: "count_deferred", sql: "SELECT count(*) FROM deferred")

    @Test("an error raised at commit (a deferred constraint) fails the query, not only the next one")
    func commitErrorFailsTheQuery() async throws {
        let pool = try await connectedPool(try await freshDatabase()) { $0.poolSize = 1 }
        defer { pool.shutdown() }
        _ = try await pool.run(Self.createDeferred).get()
        let twice = PreparedStatement(name: "insert_twice", sql: "INSERT INTO deferred VALUES ($1::int), ($1::int)")
        let failed = await pool.run(twice, [.int(7)])
        if case .server(let sqlState, _) = failed.failure { #expect(sqlState == "23505") } else { Issue.record("got \(failed)") }
        #expect(try await pool.run(Self.count).get().rows.first?.int(0) == 0)
        #expect(await pool.run(Self.insert, [.int(8)]).success?.affectedRows == 1)
    }

    @Test("a completed write is visible at once to a query on another connection")
    func readYourWrites() async throws {
        let pool = try await connectedPool(try await freshDatabase()) { $0.poolSize = 4 }
        defer { pool.shutdown() }
        _ = try await pool.run(Self.createDeferred).get()
        for index in 0..<100 {
            _ = try await pool.run(Self.insert, [.int(Int64(index))]).get()
            // Four connections, least loaded first: the read lands on any of them.
            #expect(try await pool.run(Self.count).get().rows.first?.int(0) == Int64(index + 1))
        }
    }

    @Test("a transaction's statements all commit, with one result each")
    func transactionCommits() async throws {
        let pool = try await connectedPool(try await freshDatabase())
        defer { pool.shutdown() }
        _ = try await pool.run(Self.createDeferred).get()
        let results = try await pool.transaction([(Self.insert, [.int(1)]), (Self.insert, [.int(2)]), (Self.count, [])]).get()
        #expect(results.count == 3)
        #expect(results[0].affectedRows == 1)
        #expect(results[2].rows.first?.int(0) == 2)
        let figures = pool.statistics.statements
        #expect(figures["insert_deferred"]?.count == 2)
        #expect(figures["count_deferred"]?.count == 1)
    }

    @Test("a failing statement rolls the whole transaction back; the statements after it do not run")
    func transactionRollsBack() async throws {
        let pool = try await connectedPool(try await freshDatabase()) { $0.poolSize = 1 }
        defer { pool.shutdown() }
        _ = try await pool.run(PreparedStatement(name: "create", sql: "CREATE TABLE strict (id int PRIMARY KEY)")).get()
        let insert = PreparedStatement(name: "insert_strict", sql: "INSERT INTO strict VALUES ($1::int)")
        let bad = PreparedStatement(name: "bad", sql: "SELECT 1 / $1::int")
        let outcome = await pool.transaction([(insert, [.int(1)]), (bad, [.int(0)]), (insert, [.int(2)])])
        if case .server(let sqlState, _) = outcome.failure { #expect(sqlState == "22012") } else { Issue.record("got \(outcome)") }
        let count = PreparedStatement(name: "count_strict", sql: "SELECT count(*) FROM strict")
        #expect(try await pool.run(count).get().rows.first?.int(0) == 0)
        // A statement that fails to prepare fails its transaction the same way.
        let unparsable = PreparedStatement(name: "unparsable", sql: "INSERT INTO")
        let prepared = await pool.transaction([(insert, [.int(3)]), (unparsable, [])])
        if case .server(let sqlState, _) = prepared.failure { #expect(sqlState == "42601") } else { Issue.record("got \(prepared)") }
        #expect(try await pool.run(count).get().rows.first?.int(0) == 0)
        // The connection goes on.
        #expect(try await pool.transaction([(insert, [.int(4)])]).get().count == 1)
        #expect(try await pool.transaction([]).get().isEmpty)
    }
}

extension PostgresPool {
    /// `executeTransaction`, awaited.
    func transaction(_ statements: [(PreparedStatement, [PostgresValue])]) async -> Result<[PostgresResult], PostgresError> {
        await withCheckedContinuation { continuation in
            executeTransaction(statements) { continuation.resume(returning: $0) }
        }
    }
}
