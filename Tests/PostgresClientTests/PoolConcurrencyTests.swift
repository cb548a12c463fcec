import Platform
import PostgresClient
import Synchronization
import Testing
import VisibleLocks

@Suite("PostgresPool: pipelining, batching, queueing and exhaustion", .enabled(if: postgresAvailable, "needs PostgreSQL"))
struct PoolConcurrencyTests {
    @Test("many executes from many threads all complete, batched several per round trip")
    func manyThreadsBatched() async throws {
        // Room for the whole burst: 2,000 queries outrun 2 x 64 pipeline slots plus the default
        // queue of 1,024 (beyond which they would rightly fail .poolExhausted).
        let pool = try await connectedPool(try freshDatabase()) {
            $0.poolSize = 2
            $0.maxWaiting = 4096
        }
        defer { pool.shutdown() }
        let square = PreparedStatement(name: "square", sql: "SELECT $1::bigint * $1::bigint")
        let before = pool.statistics
        let threads = 8, perThread = 250
        let wrong = Atomic<Int>(0), done = Atomic<Int>(0)
        var started: [ReactorThread] = []
        for thread in 0..<threads {
            started.append(try ReactorThread.start(name: "submit-\(thread)") {
                for index in 0..<perThread {
                    let value = Int64(thread * perThread + index)
                    pool.execute(square, [.int(value)]) { result in
                        if result.success?.rows.first?.int(0) != value * value { wrong.add(1, ordering: .relaxed) }
                        done.add(1, ordering: .relaxed)
                    }
                }
            })
        }
        for thread in started { thread.join() }
        #expect(await eventually(seconds: 20) { done.load(ordering: .relaxed) == threads * perThread })
        #expect(wrong.load(ordering: .relaxed) == 0)
        let after = pool.statistics
        let statements = after.statementsSent - before.statementsSent
        let batches = after.batches - before.batches
        #expect(statements >= threads * perThread)
        // Pipelining batches: far fewer writes than statements (one per query would be 2,000).
        #expect(batches * 4 <= statements, "\(batches) batches for \(statements) statements")
        print("PoolConcurrencyTests: \(statements) statements in \(batches) batches")
        let figures = try #require(after.statements["square"])
        #expect(figures.count == threads * perThread)
        #expect(figures.failures == 0)
        #expect(figures.bucketCounts.last! <= figures.count)
        #expect(after.waiting == 0)
    }

    @Test("with every pipeline full, a query waits past queueTimeout and fails .poolExhausted")
    func queueTimeout() async throws {
        let pool = try await connectedPool(try freshDatabase()) {
            $0.poolSize = 1
            $0.pipelineDepth = 1
            $0.queueTimeout = .milliseconds(100)
        }
        defer { pool.shutdown() }
        let sleep = PreparedStatement(name: "sleep", sql: "SELECT pg_sleep($1::float8)")
        async let slow = pool.run(sleep, [.text("0.6")])
        #expect(await eventually { pool.statistics.inUse == 1 })
        let start = MonotonicClock.now()
        let queued = await pool.run(sleep, [.text("0")])
        let waited = Double(MonotonicClock.now() - start) / 1e9
        #expect(queued.failure == .poolExhausted)
        #expect(waited >= 0.09 && waited < 0.5, "waited \(waited) s")
        #expect(await slow.success != nil)
        // Room again: queries run.
        #expect(await pool.run(sleep, [.text("0")]).success != nil)
    }

    @Test("a queued query runs once a pipeline has room, within queueTimeout")
    func queuedThenRun() async throws {
        let pool = try await connectedPool(try freshDatabase()) {
            $0.poolSize = 1
            $0.pipelineDepth = 1
            $0.queueTimeout = .seconds(5)
        }
        defer { pool.shutdown() }
        let sleep = PreparedStatement(name: "sleep", sql: "SELECT pg_sleep($1::float8)")
        async let slow = pool.run(sleep, [.text("0.2")])
        #expect(await eventually { pool.statistics.inUse == 1 })
        async let queued = pool.run(sleep, [.text("0")])
        #expect(await eventually { pool.statistics.waiting == 1 })
        #expect(await queued.success != nil)
        #expect(await slow.success != nil)
        #expect(pool.statistics.waiting == 0)
    }

    @Test("beyond maxWaiting a query fails .poolExhausted at once")
    func maxWaiting() async throws {
        let pool = try await connectedPool(try freshDatabase()) {
            $0.poolSize = 1
            $0.pipelineDepth = 1
            $0.maxWaiting = 2
            $0.queueTimeout = .seconds(5)
        }
        defer { pool.shutdown() }
        let sleep = PreparedStatement(name: "sleep", sql: "SELECT pg_sleep($1::float8)")
        async let slow = pool.run(sleep, [.text("0.5")])
        #expect(await eventually { pool.statistics.inUse == 1 })
        async let queued1 = pool.run(sleep, [.text("0")])
        async let queued2 = pool.run(sleep, [.text("0")])
        #expect(await eventually { pool.statistics.waiting == 2 })
        let start = MonotonicClock.now()
        #expect(await pool.run(sleep, [.text("0")]).failure == .poolExhausted)
        #expect(MonotonicClock.now() - start < 200_000_000)
        let results = await [slow, queued1, queued2]
        #expect(results.allSatisfy { $0.success != nil })
    }

    @Test("a query after shutdown fails .unavailable at once; shutdown fails what was in flight")
    func shutdown() async throws {
        let pool = try await connectedPool(try freshDatabase())
        let sleep = PreparedStatement(name: "sleep", sql: "SELECT pg_sleep($1::float8)")
        async let inFlight = pool.run(sleep, [.text("5")])
        #expect(await eventually { pool.statistics.inUse == 1 })
        pool.shutdown()
        #expect(await inFlight.failure == .unavailable(reason: "pool shut down"))
        #expect(await pool.run(sleep, [.text("0")]).failure == .unavailable(reason: "pool shut down"))
        #expect(!pool.health.isUp)
        pool.shutdown()
    }
}
