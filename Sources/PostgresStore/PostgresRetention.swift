import Logging
import PostgresClient
import VisibleLocks

/// The background task that keeps the shared tables bounded (issue 13): every `interval` it
/// deletes one bounded batch of events older than `eventAge`, of ended runs' records older than
/// `runAge` and of expired idempotency keys (`isod_retention`), and again at once while a batch
/// comes back full, so a backlog drains without one long transaction. Every replica runs one;
/// the function's transaction lock lets one of them work at a time (the others' calls at that
/// moment delete nothing). Event counters are never deleted: ids are never reused.
public final class PostgresRetention: Sendable {
    /// What one sweep deleted.
    public struct Deleted: Sendable, Equatable {
        public var events = 0
        public var runs = 0
        public var idempotencyKeys = 0

        public init(events: Int = 0, runs: Int = 0, idempotencyKeys: Int = 0) {
            self.events = events
            self.runs = runs
            self.idempotencyKeys = idempotencyKeys
        }

        public var total: Int { events + runs + idempotencyKeys }
    }

    public let eventAge: Duration
    public let runAge: Duration
    public let interval: Duration
    /// Rows of each kind per statement at most.
    public let batchSize: Int
    private let pool: PostgresPool
    private let logger: Logger
    private let task = VisibleMutex<Task<Void, Never>?>(nil)

    public init(pool: PostgresPool, eventAge: Duration, runAge: Duration, interval: Duration, batchSize: Int = 1_000,
                logger: Logger) {
        self.pool = pool
        self.eventAge = eventAge
        self.runAge = runAge
        self.interval = interval
        self.batchSize = max(1, batchSize)
        self.logger = logger
    }

    /// Sweeps every `interval` in the background until `stop` (the first sweep one interval
    /// after the start, so a fleet restarting at once does not start with a burst of deletes).
    public func start() {
        let sweeper = Task.detached { [self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                _ = await sweep()
            }
        }
        task.withLock { running in
            running?.cancel()
            running = sweeper
        }
    }

    /// Cancels the task and returns once a sweep in progress has finished its batch: nothing is
    /// deleted after this returns (the pool may be shut down next).
    public func stop() async {
        let running = task.withLock { running in
            defer { running = nil }
            return running
        }
        running?.cancel()
        await running?.value
    }

    /// One sweep: batches until none comes back full; logs what went. nil when a batch failed
    /// (logged; the next sweep tries again).
    public func sweep() async -> Deleted? {
        var deleted = Deleted()
        // A sweep of a stopped task starts no batch, even when the stop came as its sleep ended.
        while !Task.isCancelled {
            let parameters: [PostgresValue] = [.int(eventAge.milliseconds), .int(runAge.milliseconds), .int(Int64(batchSize))]
            let answer: PostgresResult
            switch await pool.run(JournalStatements.retention, parameters) {
            case .success(let result):
                answer = result
            case .failure(let error):
                logger.warning("could not delete old events and run records; the next sweep tries again",
                               metadata: ["error": .string("\(error)")])
                report(deleted)
                return nil
            }
            let row = answer.rows.first
            let batch = Deleted(events: Int(row?.int(0) ?? 0), runs: Int(row?.int(1) ?? 0),
                                idempotencyKeys: Int(row?.int(2) ?? 0))
            deleted.events += batch.events
            deleted.runs += batch.runs
            deleted.idempotencyKeys += batch.idempotencyKeys
            let full = batch.events >= batchSize || batch.runs >= batchSize || batch.idempotencyKeys >= batchSize
            if !full { break }
        }
        report(deleted)
        return deleted
    }

    private func report(_ deleted: Deleted) {
        guard deleted.total > 0 else { return }
        logger.info("retention deleted old rows", metadata: [
            "events": .stringConvertible(deleted.events), "runs": .stringConvertible(deleted.runs),
            "idempotency_keys": .stringConvertible(deleted.idempotencyKeys),
        ])
    }
}
