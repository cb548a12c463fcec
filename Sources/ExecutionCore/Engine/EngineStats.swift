/// An engine's run statistics. Same fields whatever the engine's state, cleaned engines included.
public struct EngineStats: Sendable, Equatable {
    /// Runs accepted (started or queued).
    public var totalRuns = 0
    public var completedRuns = 0
    public var failedRuns = 0
    public var timedOutRuns = 0
    public var cancelledRuns = 0
    /// Live runs executing (running or cancelling) now.
    public var activeRuns = 0
    /// Live runs waiting in the queue now.
    public var queuedRuns = 0
    public var averageQueueWait: Duration = .zero
    public var maxQueueWait: Duration = .zero
    public var averageExecutionTime: Duration = .zero
    public var maxExecutionTime: Duration = .zero

    public init() {}

    public var jsonValue: JSONValue {
        func millis(_ duration: Duration) -> JSONValue { .double(Double(duration.nanoseconds) / 1e6) }
        return .object([
            "total_runs": .integer(Int64(totalRuns)),
            "completed_runs": .integer(Int64(completedRuns)),
            "failed_runs": .integer(Int64(failedRuns)),
            "timed_out_runs": .integer(Int64(timedOutRuns)),
            "cancelled_runs": .integer(Int64(cancelledRuns)),
            "active_runs": .integer(Int64(activeRuns)),
            "queued_runs": .integer(Int64(queuedRuns)),
            "average_queue_wait_ms": millis(averageQueueWait),
            "max_queue_wait_ms": millis(maxQueueWait),
            "average_execution_time_ms": millis(averageExecutionTime),
            "max_execution_time_ms": millis(maxExecutionTime),
        ])
    }
}

/// Running sums behind `EngineStats` (kept under the engine's lock).
struct StatsAccumulator {
    var total = 0
    var completed = 0
    var failed = 0
    var timedOut = 0
    var cancelled = 0
    private var queueWaitSum: Duration = .zero
    private var queueWaitCount = 0
    private var queueWaitMax: Duration = .zero
    private var executionSum: Duration = .zero
    private var executionCount = 0
    private var executionMax: Duration = .zero

    mutating func recordStart(queueWait: Duration) {
        queueWaitSum += queueWait
        queueWaitCount += 1
        queueWaitMax = max(queueWaitMax, queueWait)
    }

    mutating func recordEnd(_ state: RunState, executionTime: Duration?) {
        switch state {
        case .completed: completed += 1
        case .failed: failed += 1
        case .timedOut: timedOut += 1
        case .cancelled: cancelled += 1
        case .queued, .running, .cancelling: break
        }
        if let executionTime {
            executionSum += executionTime
            executionCount += 1
            executionMax = max(executionMax, executionTime)
        }
    }

    func snapshot(active: Int, queued: Int) -> EngineStats {
        var stats = EngineStats()
        stats.totalRuns = total
        stats.completedRuns = completed
        stats.failedRuns = failed
        stats.timedOutRuns = timedOut
        stats.cancelledRuns = cancelled
        stats.activeRuns = active
        stats.queuedRuns = queued
        stats.averageQueueWait = queueWaitCount > 0 ? queueWaitSum / queueWaitCount : .zero
        stats.maxQueueWait = queueWaitMax
        stats.averageExecutionTime = executionCount > 0 ? executionSum / executionCount : .zero
        stats.maxExecutionTime = executionMax
        return stats
    }
}
