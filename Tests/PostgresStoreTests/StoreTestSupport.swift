import Logging
import PostgresClient
import PostgresStore
import PostgresTesting
import Testing

/// A fresh, migrated database and a pool on it, for the store suites (skipped without PostgreSQL).
struct StoreDatabase {
    let url: String
    let pool: PostgresPool

    static var available: Bool {
        if !PostgresTestCluster.isAvailable {
            print("note: PostgresStore suites skipped: no PostgreSQL (apt-get install postgresql, or set ISOLATIOND_TEST_DATABASE_URL)")
        }
        return PostgresTestCluster.isAvailable
    }

    static func make() throws -> StoreDatabase {
        let cluster = try #require(PostgresTestCluster.shared())
        let url = try cluster.makeDatabase()
        _ = try MigrationRunner.migrate(url: url, migrations: IsolationdSchema.migrations, logger: Logger(label: "test.migrate"))
        var configuration = PostgresConfiguration(url: url)
        configuration.poolSize = 2
        return StoreDatabase(url: url, pool: try PostgresPool(configuration: configuration, logger: Logger(label: "test.pool")))
    }

    /// Runs `sql` and returns the first column of the first row as an integer.
    func integer(_ sql: String) throws -> Int {
        let result = try PostgresPool.runBlocking(url: url, sql)
        return Int(try #require(result.rows.first?.int(0)))
    }

    /// Registers a replica with a lease of `milliseconds` (already expired when negative).
    func register(_ replica: String, milliseconds: Int) throws {
        _ = try PostgresPool.runBlocking(url: url, """
            INSERT INTO replicas (replica_id, lease_expires_at) VALUES ('\(replica)', now() + \(milliseconds) * interval '1 millisecond')
            ON CONFLICT (replica_id) DO UPDATE SET lease_expires_at = EXCLUDED.lease_expires_at
            """)
    }
}
