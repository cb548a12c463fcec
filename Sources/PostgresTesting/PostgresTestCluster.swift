#if canImport(Glibc)
import Glibc
#endif
import PostgresClient
import VisibleLocks

/// A PostgreSQL server for tests. `shared()` is the one every suite uses: the server at
/// `ISOLATIOND_TEST_DATABASE_URL` when that is set, else a throw-away cluster of its own
/// (initdb into a temporary directory, a free loopback port, its Unix socket in that directory,
/// fsync off), stopped and deleted when the test process exits. nil when neither is available:
/// suites then skip (`.enabled(if: PostgresTestCluster.isAvailable)`).
public final class PostgresTestCluster: Sendable {
    /// Where a managed cluster lives; nil for an external server.
    private let managed: ManagedCluster?
    /// A URL of the server's maintenance database (where databases are created).
    public let url: String

    private init(url: String, managed: ManagedCluster?) {
        self.url = url
        self.managed = managed
    }

    private static let sharedCluster: PostgresTestCluster? = {
        if let external = getenv("ISOLATIOND_TEST_DATABASE_URL").map({ String(cString: $0) }), !external.isEmpty {
            return PostgresTestCluster(url: external, managed: nil)
        }
        do {
            return try launch()
        } catch {
            print("PostgresTestCluster: no PostgreSQL for the tests: \(error)")
            return nil
        }
    }()

    /// The suites' server, started on first use; nil when there is no PostgreSQL here.
    public static func shared() -> PostgresTestCluster? { sharedCluster }

    /// Whether a server is there for the tests (starting the shared one if needed).
    public static var isAvailable: Bool { sharedCluster != nil }

    /// Whether throw-away clusters can be made here (PostgreSQL's programs are installed), for
    /// tests that stop and start their own server.
    public static var canLaunch: Bool { ClusterCommand.binDirectory() != nil }

    /// A new throw-away cluster of the caller's own (for tests that stop and start the server,
    /// which the shared one must not do under other suites' feet).
    public static func launch() throws -> PostgresTestCluster {
        guard let bin = ClusterCommand.binDirectory() else {
            throw ClusterCommand.Failure(description: "PostgreSQL's initdb and pg_ctl were not found")
        }
        let managed = try ManagedCluster(bin: bin)
        return PostgresTestCluster(url: managed.url(database: "postgres"), managed: managed)
    }

    /// Creates a fresh database (`isod_<random>`) and returns its URL.
    public func makeDatabase() throws -> String {
        let name = "isod_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try PostgresPool.runBlocking(url: url, "CREATE DATABASE \(name)")
        if let managed { return managed.url(database: name) }
        return Self.replacingDatabase(in: url, with: name)
    }

    /// Stops the server (fast shutdown: connections are cut). Only for a launched cluster.
    public func stop() throws {
        guard let managed else { throw ClusterCommand.Failure(description: "an external server cannot be stopped") }
        try managed.stop()
    }

    /// Starts it again: same port, same data.
    public func start() throws {
        guard let managed else { throw ClusterCommand.Failure(description: "an external server cannot be started") }
        try managed.start()
    }

    /// `url` naming database `name`: for a URL the path, for a conninfo string `dbname=`.
    static func replacingDatabase(in url: String, with name: String) -> String {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            let scheme = url.hasPrefix("postgres://") ? "postgres://" : "postgresql://"
            let rest = url.dropFirst(scheme.count)
            let query = rest.firstIndex(of: "?").map { String(rest[$0...]) } ?? ""
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            return scheme + authority + "/" + name + query
        }
        let kept = url.split(separator: " ").filter { !$0.hasPrefix("dbname=") }
        return (kept + ["dbname=\(name)"]).joined(separator: " ")
    }
}
