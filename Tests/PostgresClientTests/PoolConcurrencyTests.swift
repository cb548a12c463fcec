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
        let pool = try await connectedPool(try await freshDatabase()) {
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
        // Some writes carried several statements (how many depends on how the threads and the
        // pool's loop interleave: 3 to 40 per write here; `burstInOneTurn` pins it down).
        #expect(batches < statements, "\(batches) batches for \(statements) statements")
        let figures = try #require(after.statements["square"])
        #expect(figures.count == threads * perThread)
        #expect(figures.failures == 0)
        #expect(figures.bucketCounts.last! <= figures.count)
        #expect(after.waiting == 0)
    }

    @Test("a burst of executes submitted in one reactor turn goes out in one write")
    func burstInOneTurn() async throws {
        let pool = try await connectedPool(try await freshDatabase()) {
            $0.poolSize = 1
            $0.pipelineDepth = 200
        }
        defer { pool.shutdown() }
        let echo = PreparedStatement(name: "echo", sql: "SELECT $1::bigint")
        _ = try await pool.run(echo, [.int(0)]).get()
        let before = pool.statistics
        let answers = VisibleMutex<[Int64]>([])
        // Submitted from a completion, i.e. on the pool's own thread within one turn: all 100
        // are queued before the turn's flush.
        pool.execute(echo, [.int(-1)]) { _ in
            for index in 1...100 {
                pool.execute(echo, [.int(Int64(index))]) { result in
                    answers.withLock { $0.append(result.success?.rows.first?.int(0) ?? -1) }
                }
            }
        }
        #expect(await eventually { answers.withLock { $0.count } == 100 })
        #expect(answers.withLock { $0 } == (1...100).map { Int64($0) }, "in order, each its own answer")
        let after = pool.statistics
        #expect(after.statementsSent - before.statementsSent == 101)
        #expect(after.batches - before.batches == 2, "one write for the first query, one for the burst of 100")
    }

    // Timing bounds below are loose on purpose (the whole suite runs in parallel on two cores):
    // each only has to tell "failed at once" from "waited for the queue timeout or for room".

    @Test("with every pipeline full, a query waits past queueTimeout and fails .poolExhausted")
    func queueTimeout() async throws {
        let pool = try await connectedPool(try await freshDatabase()) {
            $0.poolSize = 1
            $0.pipelineDepth = 1
            $0.queueTimeout = .milliseconds(100)
            $0.statementTimeout = .seconds(60)
        }
        defer { pool.shutdown() }
        let sleep = PreparedStatement(name: "sleep", sql: "SELECT pg_sleep($1::float8)")
        // Holds the only pipeline slot until the pool shuts down (long, so a slow test machine
        // cannot see it end before the next query is queued).
        let slow = SubmittedQuery(pool, sleep, [.text("20")])
        #expect(await eventually(seconds: 30) { pool.statistics.inUse == 1 })
        let queued = SubmittedQuery(pool, sleep, [.text("0")])
        #expect(await queued.result().failure == .poolExhausted)
        let waited = try #require(queued.seconds)
        // Past the queue timeout, and long before the slow query would have made room.
        #expect(waited >= 0.09 && waited < 10, "waited \(waited) s")
        #expect(!slow.isDone)
    }

    @Test("a queued query runs once a pipeline has room, within queueTimeout")
    func queuedThenRun() async throws {
        let pool = try await connectedPool(try await freshDatabase()) {
            $0.poolSize = 1
            $0.pipelineDepth = 1
            $0.queueTimeout = .seconds(30)
        }
        defer { pool.shutdown() }
        let sleep = PreparedStatement(name: "sleep", sql: "SELECT pg_sleep($1::float8)")
        let slow = SubmittedQuery(pool, sleep, [.text("3")])
        #expect(await eventually(seconds: 30) { pool.statistics.inUse == 1 })
        let queued = SubmittedQuery(pool, sleep, [.text("0")])
        #expect(await queued.result().success != nil)
        #expect(slow.isDone, "the queued query ran after the one holding the pipeline")
        #expect(await slow.result().success != nil)
        #expect(pool.statistics.waiting == 0)
    }

    @Test("beyond maxWaiting a query fails .poolExhausted at once")
    func maxWaiting() async throws {
        let pool = try await connectedPool(try await freshDatabase()) {
            $0.poolSize = 1
            $0.pipelineDepth = 1
            $0.maxWaiting = 2
            $0.queueTimeout = .seconds(30)
            $0.statementTimeout = .seconds(60)
        }
        defer { pool.shutdown() }
        let sleep = PreparedStatement(name: "sleep", sql: "SELECT pg_sleep($1::float8)")
        let slow = SubmittedQuery(pool, sleep, [.text("5")])
        #expect(await eventually(seconds: 30) { pool.statistics.inUse == 1 })
        let queued = [SubmittedQuery(pool, sleep, [.text("0")]), SubmittedQuery(pool, sleep, [.text("0")])]
        #expect(await eventually(seconds: 30) { pool.statistics.waiting == 2 })
        let refused = SubmittedQuery(pool, sleep, [.text("0")])
        #expect(await refused.result().failure == .poolExhausted)
        let waited = try #require(refused.seconds)
        #expect(waited < 2.5 && !slow.isDone, "refused after \(waited) s")
        #expect(await slow.result().success != nil)
        for query in queued { #expect(await query.result().success != nil) }
    }

    @Test("a query after shutdown fails .unavailable at once; shutdown fails what was in flight")
    func shutdown() async throws {
        let pool = try await connectedPool(try await freshDatabase())
        let sleep = PreparedStatement(name: "sleep", sql: "SELECT pg_sleep($1::float8)")
        let inFlight = SubmittedQuery(pool, sleep, [.text("5")])
        #expect(await eventually(seconds: 30) { pool.statistics.inUse == 1 })
        pool.shutdown()
        #expect(await inFlight.result().failure == .unavailable(reason: "pool shut down"))
        #expect(await pool.run(sleep, [.text("0")]).failure == .unavailable(reason: "pool shut down"))
        #expect(!pool.health.isUp)
        pool.shutdown()
    }
}
