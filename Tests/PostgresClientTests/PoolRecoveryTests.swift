#if canImport(Glibc)
import Glibc
#endif
import Platform
import PostgresClient
import PostgresTesting
import Synchronization
import Testing
import VisibleLocks

@Suite("PostgresPool: LISTEN/NOTIFY, database down and back", .enabled(if: postgresAvailable, "needs PostgreSQL"))
struct PoolRecoveryTests {
    @Test("notifications reach their channel's listener, in order; other channels stay apart")
    func listenNotify() async throws {
        // One connection: NOTIFYs committed in one order are delivered in that order (from
        // several connections their commits could interleave).
        let pool = try await connectedPool(try await freshDatabase()) { $0.poolSize = 1 }
        defer { pool.shutdown() }
        let received = VisibleMutex<[String]>([])
        let other = Atomic<Int>(0), listening = Atomic<Int>(0)
        pool.listen(channel: "run events", onListening: { listening.add(1, ordering: .relaxed) }) { payload in
            received.withLock { $0.append(payload) }
        }
        pool.listen(channel: "other") { _ in other.add(1, ordering: .relaxed) }
        #expect(await eventually { listening.load(ordering: .relaxed) >= 1 })
        let notify = PreparedStatement(name: "notify", sql: "SELECT pg_notify($1, $2)")
        for index in 0..<20 {
            pool.execute(notify, [.text("run events"), .text("event \(index)")]) { _ in }
        }
        #expect(await eventually { received.withLock { $0.count } == 20 })
        #expect(received.withLock { $0 } == (0..<20).map { "event \($0)" })
        #expect(other.load(ordering: .relaxed) == 0)
        #expect(pool.statistics.notifications == 20)
    }

    @Test("database stopped: queries fail .unavailable at once, health is down; started again: the same pool recovers, LISTEN too",
          .enabled(if: PostgresTestCluster.canLaunch, "needs PostgreSQL's initdb and pg_ctl for a cluster of its own"))
    func downAndBack() async throws {
        // A cluster of this test's own: stopping the shared one would break the other suites.
        let cluster = try await blockingThread { Result { try PostgresTestCluster.launch() } }.get()
        let url = try cluster.makeDatabase()
        let pool = try await connectedPool(url) {
            $0.poolSize = 2
            $0.reconnectBackoff = ReconnectBackoff(initial: .milliseconds(50), max: .milliseconds(200))
            $0.queueTimeout = .seconds(5)
            $0.statementTimeout = .seconds(60)
        }
        defer { pool.shutdown() }
        let listening = Atomic<Int>(0), notified = Atomic<Int>(0)
        pool.listen(channel: "wake", onListening: { listening.add(1, ordering: .relaxed) }) { _ in notified.add(1, ordering: .relaxed) }
        #expect(await eventually { listening.load(ordering: .relaxed) == 1 })
        let sleep = PreparedStatement(name: "sleep", sql: "SELECT pg_sleep($1::float8)")
        let select = PreparedStatement(name: "one", sql: "SELECT 1")
        #expect(await pool.run(select).success != nil)

        // A query in flight when the server goes away fails .unavailable.
        let inFlight = VisibleMutex<Result<PostgresResult, PostgresError>?>(nil)
        pool.execute(sleep, [.text("30")]) { result in inFlight.withLock { $0 = result } }
        #expect(await eventually { pool.statistics.inUse >= 1 })
        try await blockingThread { Result { try cluster.stop() } }.get()
        #expect(await eventually { inFlight.withLock { $0 } != nil })
        if case .unavailable = inFlight.withLock({ $0 })?.failure {} else { Issue.record("in flight: \(String(describing: inFlight.withLock { $0 }))") }
        #expect(await eventually { !pool.health.isUp })
        guard case .down(let reason, _) = pool.health else { Issue.record("health \(pool.health)"); return }
        #expect(!reason.isEmpty)

        // Down: no queueing on a dead database (queueTimeout is 5 s: failing well before is "at once").
        let whileDown = SubmittedQuery(pool, select)
        guard case .unavailable = await whileDown.result().failure else { Issue.record("expected .unavailable"); return }
        #expect(try #require(whileDown.seconds) < 2.5)

        try await blockingThread { Result { try cluster.start() } }.get()
        #expect(await eventually(seconds: 15) { pool.health.isUp })
        // Health is up once one connection is back; the other may still be on its way, and a
        // query on it fails until it notices: a few tries at most.
        var ranAgain = false
        for _ in 0..<50 where !ranAgain {
            ranAgain = await pool.run(select).success != nil
            if !ranAgain { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(ranAgain, "queries run again")
        #expect(pool.statistics.reconnects >= 1)
        #expect(pool.statistics.connectionFailures >= 2)
        // The listener re-LISTENed and said so.
        #expect(await eventually(seconds: 15) { listening.load(ordering: .relaxed) >= 2 })
        _ = await pool.run(PreparedStatement(name: "notify", sql: "SELECT pg_notify('wake', 'again')"))
        #expect(await eventually { notified.load(ordering: .relaxed) >= 1 })
        try? cluster.stop()
    }

    @Test("a pool started while the database is unreachable fails fast, then connects when it appears",
          .enabled(if: PostgresTestCluster.canLaunch, "needs PostgreSQL's initdb and pg_ctl for a cluster of its own"))
    func startsWhileDown() async throws {
        let cluster = try await blockingThread { Result { try PostgresTestCluster.launch() } }.get()
        let url = try cluster.makeDatabase()
        try await blockingThread { Result { try cluster.stop() } }.get()
        var configuration = PostgresConfiguration(url: url)
        configuration.reconnectBackoff = ReconnectBackoff(initial: .milliseconds(50), max: .milliseconds(200))
        let pool = try PostgresPool(configuration: configuration, logger: quietLogger)
        defer { pool.shutdown() }
        #expect(await eventually { pool.statistics.connectionFailures >= 1 })
        #expect(!pool.health.isUp)
        guard case .unavailable = await pool.run(PreparedStatement(name: "one", sql: "SELECT 1")).failure else {
            Issue.record("expected .unavailable while down"); return
        }
        try await blockingThread { Result { try cluster.start() } }.get()
        #expect(await eventually(seconds: 15) { pool.health.isUp })
        #expect(await pool.run(PreparedStatement(name: "one", sql: "SELECT 1")).success?.rows.first?.int(0) == 1)
        try? cluster.stop()
    }
}

@Suite("PostgresPool: a server that stops answering", .enabled(if: postgresAvailable, "needs PostgreSQL"))
struct PoolStallTests {
    @Test("a connection owing answers past statement_timeout + connectTimeout is lost: its query fails .unavailable")
    func stalledServerProcess() async throws {
        let pool = try await connectedPool(try await freshDatabase()) {
            $0.poolSize = 1
            $0.statementTimeout = .milliseconds(200)
            $0.connectTimeout = .milliseconds(300)
            $0.reconnectBackoff = ReconnectBackoff(initial: .milliseconds(50), max: .milliseconds(100))
        }
        defer { pool.shutdown() }
        let backendPID = PreparedStatement(name: "backend_pid", sql: "SELECT pg_backend_pid()")
        let pid = try #require(try await pool.run(backendPID).get().rows.first?.int(0))
        // The server process stops, its socket stays open: as with a peer gone without a FIN.
        #expect(kill(pid_t(pid), SIGSTOP) == 0)
        let start = MonotonicClock.now()
        let stalled = await pool.run(PreparedStatement(name: "one", sql: "SELECT 1"))
        let waited = Double(MonotonicClock.now() - start) / 1e9
        kill(pid_t(pid), SIGCONT)
        guard case .unavailable(let reason) = stalled.failure else { Issue.record("got \(stalled)"); return }
        #expect(reason.contains("no answer"))
        #expect(waited >= 0.5 && waited < 3, "failed after \(waited) s")
        // A new connection takes over.
        #expect(await eventually { pool.health.isUp })
        let other = try await pool.run(backendPID).get().rows.first?.int(0)
        #expect(other != nil && other != pid)
    }
}
