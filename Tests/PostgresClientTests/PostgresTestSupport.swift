#if canImport(Glibc)
import Glibc
#endif
import Logging
import Platform
import PostgresClient
import PostgresTesting
import VisibleLocks

/// Whether the suites that need PostgreSQL run: they skip (and say so) when the machine has no
/// PostgreSQL and no ISOLATIOND_TEST_DATABASE_URL. Decided without starting the cluster: traits
/// are evaluated on Swift's cooperative pool, which a blocking start would stall for every suite
/// running beside these (the first `freshDatabase` starts it, on a thread of its own).
let postgresAvailable: Bool = {
    let available = getenv("ISOLATIOND_TEST_DATABASE_URL") != nil || PostgresTestCluster.canLaunch
    if !available {
        print("PostgresClientTests: skipped, no PostgreSQL (install postgresql or set ISOLATIOND_TEST_DATABASE_URL)")
    }
    return available
}()

let quietLogger = Logger(label: "postgres-test") { _ in SwiftLogNoOpLogHandler() }

/// A fresh database on the shared cluster (made, and the cluster started, on a thread of its own).
func freshDatabase() async throws -> String {
    try await blockingThread { () -> Result<String, any Error> in
        Result {
            guard let cluster = PostgresTestCluster.shared() else { throw TestFailure("no PostgreSQL") }
            return try cluster.makeDatabase()
        }
    }.get()
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A pool on `url` whose health is up (waits for the first connection, up to 10 s).
func connectedPool(_ url: String, _ configure: (inout PostgresConfiguration) -> Void = { _ in }) async throws -> PostgresPool {
    var configuration = PostgresConfiguration(url: url)
    configure(&configuration)
    let pool = try PostgresPool(configuration: configuration, logger: quietLogger)
    guard await eventually(seconds: 10, { pool.health.isUp }) else {
        pool.shutdown()
        throw TestFailure("pool did not come up: \(pool.health)")
    }
    return pool
}

/// Polls `condition` every 5 ms until it holds or `seconds` pass (generous, since it returns as
/// soon as the condition holds). Sleeps without holding a thread: tests run in parallel on few
/// cores, and a blocked cooperative thread would starve the other tests' tasks.
func eventually(seconds: Double = 30, _ condition: () -> Bool) async -> Bool {
    let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
    while MonotonicClock.now() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }

    var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}

/// A query submitted at once (not whenever a child task gets a thread: on a loaded machine
/// that can take seconds), whose result is awaited later.
final class SubmittedQuery: Sendable {
    private let outcome = VisibleMutex<(result: Result<PostgresResult, PostgresError>, seconds: Double)?>(nil)

    init(_ pool: PostgresPool, _ statement: PreparedStatement, _ parameters: [PostgresValue] = []) {
        let start = MonotonicClock.now()
        pool.execute(statement, parameters) { [self] result in
            let seconds = Double(MonotonicClock.now() - start) / 1e9
            outcome.withLock { $0 = (result, seconds) }
        }
    }

    var isDone: Bool { outcome.withLock { $0 != nil } }

    /// From `execute` to the completion, measured on the pool's thread (so a busy test machine's
    /// slowness in resuming the test does not count).
    var seconds: Double? { outcome.withLock { $0?.seconds } }

    func result() async -> Result<PostgresResult, PostgresError> {
        _ = await eventually(seconds: 60) { isDone }
        return outcome.withLock { $0?.result } ?? .failure(.unavailable(reason: "test: no completion within 60 s"))
    }
}
