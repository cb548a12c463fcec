#if canImport(Glibc)
import Glibc
#endif
import IsolationdTesting
import Logging
import PostgresClient
import PostgresStore
import PostgresTesting
import Testing

/// A fresh, migrated database and a pool on it, for the store suites (skipped without PostgreSQL).
///
/// Every blocking call (starting the shared cluster, creating and migrating a database, the
/// checks' queries) runs on a thread of its own through `BlockingIO`: blocking Swift's
/// cooperative pool (two threads here) would starve every other suite running beside these.
struct StoreDatabase {
    let url: String
    let pool: PostgresPool

    /// Whether PostgreSQL can be had, decided without starting it (a cheap check for the trait).
    static let available: Bool = {
        let possible = getenv("ISOLATIOND_TEST_DATABASE_URL") != nil || PostgresTestCluster.canLaunch
        if !possible {
            print("note: PostgresStore suites skipped: no PostgreSQL (apt-get install postgresql, or set ISOLATIOND_TEST_DATABASE_URL)")
        }
        return possible
    }()

    static func make() async throws -> StoreDatabase {
        let url = try await BlockingIO.run { () throws -> String in
            guard let cluster = PostgresTestCluster.shared() else { throw PostgresError.unavailable(reason: "no PostgreSQL for the tests") }
            let url = try cluster.makeDatabase()
            _ = try MigrationRunner.migrate(url: url, migrations: IsolationdSchema.migrations, logger: Logger(label: "test.migrate"))
            return url
        }
        var configuration = PostgresConfiguration(url: url)
        configuration.poolSize = 2
        return StoreDatabase(url: url, pool: try PostgresPool(configuration: configuration, logger: Logger(label: "test.pool")))
    }

    /// Runs `sql` (on a thread of its own).
    @discardableResult
    func run(_ sql: String) async throws -> PostgresResult {
        let url = url
        return try await BlockingIO.run { try PostgresPool.runBlocking(url: url, sql) }
    }

    /// Runs `sql` and returns the first column of the first row as an integer.
    func integer(_ sql: String) async throws -> Int {
        Int(try #require(try await run(sql).rows.first?.int(0)))
    }

    /// Registers a replica with a lease of `milliseconds` (already expired when negative).
    func register(_ replica: String, milliseconds: Int) async throws {
        try await run("""
            INSERT INTO replicas (replica_id, lease_expires_at) VALUES ('\(replica)', now() + \(milliseconds) * interval '1 millisecond')
            ON CONFLICT (replica_id) DO UPDATE SET lease_expires_at = EXCLUDED.lease_expires_at
            """)
    }
}
