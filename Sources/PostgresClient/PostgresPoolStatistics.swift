/// A snapshot of a pool's figures, for metrics (`PostgresPool.statistics`).
public struct PostgresPoolStatistics: Sendable {
    /// Upper bounds (seconds) of the duration buckets in `StatementStatistics.bucketCounts`, for
    /// a Prometheus histogram; the implicit `+Inf` bucket is `count`.
    public static let durationBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    /// Query connections established now.
    public var connected = 0
    /// Established connections carrying at least one statement.
    public var inUse = 0
    /// Established connections carrying none.
    public var idle = 0
    /// Queries queued in the pool because every pipeline was full.
    public var waiting = 0
    /// Connections established again after a loss or a failed attempt.
    public var reconnects = 0
    /// Connection attempts that failed plus established connections that were lost.
    public var connectionFailures = 0
    /// Pipelined writes: each carries every statement a connection was given in one reactor
    /// turn, in one round trip. `statementsSent / batches` is the batching achieved.
    public var batches = 0
    /// Statements sent to the server (the pool's own setup and LISTENs included).
    public var statementsSent = 0
    /// Notifications handed to `listen` callbacks.
    public var notifications = 0
    /// Per statement name: how many completed and how long they took, from `execute` to the
    /// completion (queueing included).
    public var statements: [String: StatementStatistics] = [:]

    public init() {}
}

/// One prepared statement's figures.
public struct StatementStatistics: Sendable, Equatable {
    /// Completed executions, failures included.
    public var count = 0
    /// Executions that failed (any `PostgresError`).
    public var failures = 0
    /// Sum of the durations, seconds.
    public var totalSeconds: Double = 0
    /// Cumulative counts per bound of `PostgresPoolStatistics.durationBounds` (executions that
    /// took at most that long), as a Prometheus histogram's `le` buckets.
    public var bucketCounts: [Int] = Array(repeating: 0, count: PostgresPoolStatistics.durationBounds.count)

    public init() {}

    mutating func record(nanoseconds: UInt64, failed: Bool) {
        count += 1
        if failed { failures += 1 }
        let seconds = Double(nanoseconds) / 1e9
        totalSeconds += seconds
        // Cumulative: every bucket at or above the duration counts it.
        for index in PostgresPoolStatistics.durationBounds.indices.reversed() {
            guard seconds <= PostgresPoolStatistics.durationBounds[index] else { break }
            bucketCounts[index] += 1
        }
    }
}
