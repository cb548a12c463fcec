import Logging

/// One step of a schema: applied once, in version order, in its own transaction. The SQL is the
/// caller's (the stores ship theirs in the binary); it may hold several statements.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Why `MigrationRunner` stopped.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Two migrations share a version, or a version is not positive.
    case invalidVersions(String)
    /// The database could not be reached or refused the runner's own statements.
    case database(PostgresError)
    /// Migration `version` failed and was rolled back; the ones before it stay applied.
    case failed(version: Int, name: String, error: PostgresError)

    public var description: String {
        switch self {
        case .invalidVersions(let detail): "invalid migrations: \(detail)"
        case .database(let error): "migrations: \(error)"
        case .failed(let version, let name, let error): "migration \(version) (\(name)) failed: \(error)"
        }
    }
}

/// Applies migrations to a database, blocking (it runs before serving, or as the `migrate`
/// command). Safe from several replicas at once: all work happens under one session advisory
/// lock, so a second runner waits, then finds the migrations applied. Idempotent.
public enum MigrationRunner {
    /// The advisory lock's key ("isomigr" in ASCII): fixed, so every replica takes the same lock.
    static let advisoryLockKey: Int64 = 0x69_73_6F_6D_69_67_72

    static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """

    /// Applies the migrations not applied yet, in version order. Returns the versions applied
    /// now and the schema's version after them.
    @discardableResult
    public static func migrate(url: String, migrations: [Migration], logger: Logger) throws(MigrationError) -> (applied: [Int], current: Int) {
        let ordered = migrations.sorted { $0.version < $1.version }
        for (earlier, later) in zip(ordered, ordered.dropFirst()) where earlier.version == later.version {
            throw .invalidVersions("version \(later.version) is used twice")
        }
        if let first = ordered.first, first.version <= 0 { throw .invalidVersions("version \(first.version) is not positive") }

        let connection: PostgresBlockingConnection
        do { connection = try PostgresBlockingConnection(url: url) } catch { throw .database(error) }
        defer { connection.close() }
        do {
            try connection.execute("SELECT pg_advisory_lock($1::bigint)", [.int(advisoryLockKey)])
            try connection.execute(createTable)
        } catch {
            throw .database(error)
        }
        // Closing the session releases the lock as well; unlocking first lets a waiting replica
        // go on without waiting for the disconnect.
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1::bigint)", [.int(advisoryLockKey)]) }

        var current: Int
        var done: Set<Int>
        do {
            let rows = try connection.execute("SELECT version FROM schema_migrations").rows
            done = Set(rows.compactMap { $0.int(0).map(Int.init) })
            current = done.max() ?? 0
        } catch {
            throw .database(error)
        }
        var applied: [Int] = []
        for migration in ordered where !done.contains(migration.version) {
            do {
                try connection.execute("BEGIN")
                try connection.execute(migration.sql)
                try connection.execute("INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)",
                                       [.int(Int64(migration.version)), .text(migration.name)])
                try connection.execute("COMMIT")
            } catch {
                _ = try? connection.execute("ROLLBACK")
                throw .failed(version: migration.version, name: migration.name, error: error)
            }
            logger.info("migration applied", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            applied.append(migration.version)
            done.insert(migration.version)
            current = max(current, migration.version)
        }
        return (applied, current)
    }

    /// The highest applied version; 0 when no migration ever ran (no table yet).
    public static func currentVersion(url: String) throws(MigrationError) -> Int {
        do {
            let connection = try PostgresBlockingConnection(url: url)
            defer { connection.close() }
            let exists = try connection.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
            guard exists.rows.first?.bool(0) == true else { return 0 }
            let result = try connection.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
            return Int(result.rows.first?.int(0) ?? 0)
        } catch {
            throw .database(error)
        }
    }
}
