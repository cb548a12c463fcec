import PostgresClient
import Testing

@Suite("PostgresPool: queries, parameters, rows and errors", .enabled(if: postgresAvailable, "needs PostgreSQL"))
struct PoolQueryTests {
    @Test("parameters go in and rows come out: NULL, text, int, bool and bytea")
    func parametersAndRows() async throws {
        let pool = try await connectedPool(try await freshDatabase())
        defer { pool.shutdown() }
        let bytes: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x5C, 0x78]
        let statement = PreparedStatement(name: "echo_values",
                                          sql: "SELECT $1::text AS t, $2::bigint AS i, $3::bytea AS b, $4::boolean AS f, $5::text AS n")
        let result = try await pool.run(statement, [.text("héllo 'quoted'"), .int(-9_007_199_254_740_993), .bytes(bytes), .bool(true), .null]).get()
        #expect(result.rows.count == 1)
        #expect(result.columns == ["t", "i", "b", "f", "n"])
        let row = try #require(result.rows.first)
        #expect(row[0] == "héllo 'quoted'")
        #expect(row.int(1) == -9_007_199_254_740_993)
        #expect(row.bytes(2) == bytes)
        #expect(row.bool(3) == true)
        #expect(row[4] == nil)
        #expect(row.isNull(4))
        #expect(row[9] == nil)
    }

    @Test("edge values round-trip: the extreme integers, empty text and bytes, false, NUL-free unicode")
    func edgeValues() async throws {
        let pool = try await connectedPool(try await freshDatabase())
        defer { pool.shutdown() }
        let statement = PreparedStatement(name: "edges", sql: "SELECT $1::bigint, $2::bigint, $3::bigint, $4::text, $5::bytea, $6::boolean, $7::text")
        let row = try #require(try await pool.run(statement, [.int(.min), .int(.max), .int(0), .text(""), .bytes([]), .bool(false), .text("日本語 ✓")]).get().rows.first)
        #expect(row.int(0) == .min)
        #expect(row.int(1) == .max)
        #expect(row.int(2) == 0)
        #expect(row[3] == "" && !row.isNull(3))
        #expect(row.bytes(4) == [])
        #expect(row.bool(5) == false)
        #expect(row[6] == "日本語 ✓")
        #expect(row.int(3) == nil && row.bytes(3) == nil && row.bool(6) == nil)
    }

    @Test("affected rows of an insert and an update, many rows of a select")
    func affectedRows() async throws {
        let pool = try await connectedPool(try await freshDatabase())
        defer { pool.shutdown() }
        _ = try await pool.run(PreparedStatement(name: "create", sql: "CREATE TABLE items (id bigint PRIMARY KEY, label text)")).get()
        let insert = PreparedStatement(name: "insert_items", sql: "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, $1::int) g")
        #expect(try await pool.run(insert, [.int(25)]).get().affectedRows == 25)
        let update = PreparedStatement(name: "update_items", sql: "UPDATE items SET label = $1 WHERE id > $2")
        #expect(try await pool.run(update, [.text("x"), .int(20)]).get().affectedRows == 5)
        let select = PreparedStatement(name: "select_items", sql: "SELECT id, label FROM items ORDER BY id")
        let rows = try await pool.run(select).get().rows
        #expect(rows.count == 25)
        #expect(rows.map { $0.int(0) } == (1...25).map { Int64($0) })
        #expect(rows[0][1] == "item 1" && rows[24][1] == "x")
    }

    @Test("a server error fails only its own query; the ones around it succeed")
    func errorFailsOnlyItsQuery() async throws {
        let pool = try await connectedPool(try await freshDatabase()) { $0.poolSize = 1 }
        defer { pool.shutdown() }
        _ = try await pool.run(PreparedStatement(name: "create", sql: "CREATE TABLE uniques (id int PRIMARY KEY)")).get()
        let insert = PreparedStatement(name: "insert_unique", sql: "INSERT INTO uniques VALUES ($1::int)")
        // One turn, one connection: the three go out in one pipeline.
        async let first = pool.run(insert, [.int(1)])
        async let duplicate = pool.run(insert, [.int(1)])
        async let third = pool.run(insert, [.int(3)])
        let results = await [first, duplicate, third]
        let failures = results.compactMap(\.failure)
        #expect(failures.count == 1)
        if case .server(let sqlState, _) = failures.first { #expect(sqlState == "23505") } else { Issue.record("expected a unique violation, got \(failures)") }
        let count = try await pool.run(PreparedStatement(name: "count", sql: "SELECT count(*) FROM uniques")).get()
        #expect(count.rows.first?.int(0) == 2)
    }

    @Test("a statement that does not parse fails itself, and the pool goes on")
    func badStatement() async throws {
        let pool = try await connectedPool(try await freshDatabase()) { $0.poolSize = 1 }
        defer { pool.shutdown() }
        let bad = PreparedStatement(name: "bad", sql: "SELEC 1")
        let good = PreparedStatement(name: "good", sql: "SELECT 1")
        async let failed = pool.run(bad)
        async let succeeded = pool.run(good)
        let (badResult, goodResult) = await (failed, succeeded)
        if case .server(let sqlState, _) = badResult.failure { #expect(sqlState == "42601") } else { Issue.record("got \(badResult)") }
        #expect(goodResult.success?.rows.first?.int(0) == 1)
        // Prepared again (and failing again) on the next use, not left half-prepared.
        #expect(await pool.run(bad).failure != nil)
        #expect(await pool.run(good).success?.rows.first?.int(0) == 1)
    }

    @Test("a statement running past statement_timeout fails .timeout")
    func statementTimeout() async throws {
        let pool = try await connectedPool(try await freshDatabase()) { $0.statementTimeout = .milliseconds(100) }
        defer { pool.shutdown() }
        let sleep = PreparedStatement(name: "sleep", sql: "SELECT pg_sleep($1::float8)")
        #expect(await pool.run(sleep, [.text("2")]).failure == .timeout)
        #expect(await pool.run(sleep, [.text("0")]).success != nil)
    }
}
