#if canImport(Glibc)
import Glibc
#endif
import IsolationdTesting
import PostgresTesting
import Testing

/// Replicas of the real binary over one throw-away PostgreSQL database (issue 13): the cluster
/// comes from `PostgresTestCluster` (started for the test run, or `ISOLATIOND_TEST_DATABASE_URL`);
/// each suite makes a database of its own and migrates it with the binary's `migrate`.
enum ReplicaSupport {
    /// Whether PostgreSQL can be had, decided without starting it: the trait is evaluated on
    /// Swift's cooperative pool, which a blocking cluster start would stall for every suite.
    static let available: Bool = {
        let possible = getenv("ISOLATIOND_TEST_DATABASE_URL") != nil || PostgresTestCluster.canLaunch
        if !possible {
            print("note: PostgreSQL replica suites skipped: no PostgreSQL server binaries (apt-get install postgresql) and no ISOLATIOND_TEST_DATABASE_URL")
        }
        return possible
    }()

    /// Whether a cluster of a test's own can be launched (for the outage test).
    static let canLaunch: Bool = {
        if !PostgresTestCluster.canLaunch {
            print("note: the database outage suite skipped: no PostgreSQL server binaries to launch a cluster of its own (apt-get install postgresql)")
        }
        return PostgresTestCluster.canLaunch
    }()

    /// The shared cluster, started (on a thread of its own) by the first suite that asks.
    static func sharedCluster() async throws -> PostgresTestCluster {
        try await BlockingIO.run { () throws -> PostgresTestCluster in
            guard let cluster = PostgresTestCluster.shared() else { throw StartFailure(description: "no PostgreSQL for the tests") }
            return cluster
        }
    }

    /// A cluster of the caller's own (it may stop and start it).
    static func launchCluster() async throws -> PostgresTestCluster {
        try await BlockingIO.run { try PostgresTestCluster.launch() }
    }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// A fresh database (on a thread of its own).
    static func freshDatabase(on cluster: PostgresTestCluster? = nil) async throws -> String {
        let chosen: PostgresTestCluster
        if let cluster { chosen = cluster } else { chosen = try await sharedCluster() }
        return try await BlockingIO.run { try chosen.makeDatabase() }
    }

    /// A fresh database, migrated by `isolationd migrate`.
    static func migratedDatabase(on cluster: PostgresTestCluster? = nil) async throws -> String {
        let url = try await freshDatabase(on: cluster)
        let outcome = try await migrate(url: url)
        try #require(outcome.status == 0, "migrate: \(outcome.stderr)")
        return url
    }

    /// Runs `isolationd migrate` against `url` with the shipped configuration.
    static func migrate(url: String) async throws -> CommandResult {
        try await ExternalCommand.runDetached(["env", "ISOLATIOND_DATABASE__URL=" + url, BinaryServer.locateBinary(), "migrate",
                                               "--config", APITestConfiguration.packageRoot + "/config/isolationd.json"],
                                              timeout: .seconds(60))
    }

    /// The integration configuration with a database section (`lease_seconds` short for the
    /// kill -9 test).
    static func configuration(users: [TestUser], url: String, leaseSeconds: Double = 15, enginesPerUser: Int = 2) -> String {
        APITestConfiguration.json(users: users, enginesPerUser: enginesPerUser,
                                  extraSections: #", "database": {"url": "\#(url)", "lease_seconds": \#(leaseSeconds), "pool_size": 2}"#)
    }

    static func startReplica(users: [TestUser], url: String, leaseSeconds: Double = 15, enginesPerUser: Int = 2) async throws -> BinaryServer {
        try await BinaryServer.start(configuration: configuration(users: users, url: url, leaseSeconds: leaseSeconds,
                                                                  enginesPerUser: enginesPerUser))
    }
}
