import Platform
import PostgresClient
import Testing

@Suite("MigrationRunner: versioned migrations, once, under a lock", .enabled(if: postgresAvailable, "needs PostgreSQL"))
struct MigrationRunnerTests {
    static let migrations = [
        Migration(version: 1, name: "accounts", sql: "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL)"),
        Migration(version: 2, name: "accounts_created",
                  sql: "ALTER TABLE accounts ADD COLUMN created timestamptz; CREATE INDEX accounts_name ON accounts (name)"),
        // Not idempotent by itself: running it twice would fail, so a second run proves it ran once.
        Migration(version: 3, name: "first_account", sql: "INSERT INTO accounts (id, name) VALUES (1, 'first')"),
    ]

    @Test("a fresh database gets every migration, in order; a second run applies none")
    func appliesOnceThenNothing() async throws {
        let url = try await freshDatabase()
        #expect(try MigrationRunner.currentVersion(url: url) == 0)
        let first = try MigrationRunner.migrate(url: url, migrations: Self.migrations.reversed(), logger: quietLogger)
        #expect(first.applied == [1, 2, 3])
        #expect(first.current == 3)
        let second = try MigrationRunner.migrate(url: url, migrations: Self.migrations, logger: quietLogger)
        #expect(second.applied == [])
        #expect(second.current == 3)
        #expect(try MigrationRunner.currentVersion(url: url) == 3)
        let rows = try PostgresPool.runBlocking(url: url, "SELECT version, name, applied_at IS NOT NULL FROM schema_migrations ORDER BY version").rows
        #expect(rows.map { $0.int(0) } == [1, 2, 3])
        #expect(rows.map { $0[1] } == ["accounts", "accounts_created", "first_account"])
        #expect(try PostgresPool.runBlocking(url: url, "SELECT count(*) FROM accounts").rows.first?.int(0) == 1)
    }

    @Test("a later migration is added: only it is applied")
    func appliesOnlyNewOnes() async throws {
        let url = try await freshDatabase()
        try MigrationRunner.migrate(url: url, migrations: Array(Self.migrations.prefix(2)), logger: quietLogger)
        let later = try MigrationRunner.migrate(url: url, migrations: Self.migrations, logger: quietLogger)
        #expect(later.applied == [3])
        #expect(later.current == 3)
    }

    @Test("a failing migration is rolled back whole and reported; the ones before it stay")
    func failureRollsBack() async throws {
        let url = try await freshDatabase()
        let broken = Migration(version: 4, name: "broken", sql: "CREATE TABLE half (id int); SELECT * FROM missing_table")
        #expect(throws: MigrationError.self) {
            try MigrationRunner.migrate(url: url, migrations: Self.migrations + [broken], logger: quietLogger)
        }
        #expect(try MigrationRunner.currentVersion(url: url) == 3)
        let half = try PostgresPool.runBlocking(url: url, "SELECT to_regclass('half') IS NULL").rows.first?.bool(0)
        #expect(half == true)
    }

    @Test("duplicate versions are refused before anything runs")
    func duplicateVersions() async throws {
        let url = try await freshDatabase()
        let duplicate = Migration(version: 2, name: "again", sql: "SELECT 1")
        #expect(throws: MigrationError.invalidVersions("version 2 is used twice")) {
            try MigrationRunner.migrate(url: url, migrations: Self.migrations + [duplicate], logger: quietLogger)
        }
        #expect(try MigrationRunner.currentVersion(url: url) == 0)
    }

    @Test("runners on several threads at once: each migration applied exactly once")
    func concurrentRunners() async throws {
        let url = try await freshDatabase()
        let outcomes = await withTaskGroup(of: Result<[Int], MigrationError>.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    // Blocking calls: on a thread of their own, not the cooperative pool.
                    await blockingThread { Result { () throws(MigrationError) in
                        try MigrationRunner.migrate(url: url, migrations: Self.migrations, logger: quietLogger).applied
                    } }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let applied = try outcomes.map { try $0.get() }
        #expect(applied.flatMap { $0 }.sorted() == [1, 2, 3])
        #expect(try PostgresPool.runBlocking(url: url, "SELECT count(*) FROM accounts").rows.first?.int(0) == 1)
    }
}

/// Runs blocking `work` on a thread of its own and awaits its result.
func blockingThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        do {
            _ = try ReactorThread.start(name: "blocking-test") { continuation.resume(returning: work()) }
        } catch {
            fatalError("cannot start a thread: \(error)")
        }
    }
}
