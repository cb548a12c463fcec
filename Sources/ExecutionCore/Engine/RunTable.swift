/// A run that has not ended: queued, running or cancelling.
struct LiveRun {
    let id: String
    let agent: String
    let input: JSONValue
    let runner: any AgentRunner
    let timeout: Duration
    let createdAt: Timestamp
    /// What the budget was charged for it while live (input + overhead), released when it ends.
    let charged: Int
    /// Admission order (creation timestamps can tie).
    var sequence: UInt64 = 0
    var state: RunState = .queued
    var startedAt: Timestamp?
    var handle: (any AgentRunHandle)?
    /// The owner's cancel reason once it is `cancelling`.
    var stopReason: CancelReason?
    var timers: [Task<Void, Never>] = []
    /// Admitted with `if_busy: interrupt`: while it waits for a slot, a later interrupter
    /// supersedes it.
    var interrupting = false
}

/// How a live run ends.
enum RunEnd {
    case completed(JSONValue)
    case failed(kind: String, message: String)
    case cancelled(CancelReason)
    case timedOut
}

/// Engine timers: the per-run timeout, and the settle deadline of an owner's cancel.
enum RunTimer: Sendable {
    case timeout
    case cancelSettle
}

/// Work decided under the engine's lock but done after releasing it, because it calls into agent
/// code (which may call the engine back synchronously) or into the scheduler.
struct EngineEffects {
    struct Launch {
        let runID: String
        let runner: any AgentRunner
        let request: AgentRunRequest
    }

    var launches: [Launch] = []
    var handleCancels: [any AgentRunHandle] = []
    var timerCancels: [Task<Void, Never>] = []
}

/// What a table transition needs from its engine.
struct RunTableContext {
    let engineID: String
    let context: UserExecutionContext
    let emitter: EngineEventEmitter
    let configuration: EngineConfiguration
    let clock: any ExecutionClock
    let runIndex: RunIndex
    /// Where the run's charges go (nil: no account).
    let ledger: RetainedBytesLedger?
    /// Timers hold the engine weakly: a forgotten engine is freed, its timers then do nothing.
    weak let engine: UserExecutionEngine?

    /// Arms a timer that calls the engine back at `deadline` on the engine's clock; cancelled when
    /// the run ends first.
    func arm(_ runID: String, _ deadline: Timestamp, _ timer: RunTimer) -> Task<Void, Never> {
        Task { [clock = clock, weak engine = engine] in
            do { try await clock.sleep(until: deadline) } catch { return }
            engine?.timerFired(runID: runID, timer: timer)
        }
    }
}

/// The engine's run bookkeeping: every run transition happens here, under the engine's lock, and
/// emits its event in the same critical section, so each run's events are in order and it gets
/// exactly one terminal event.
struct RunTable {
    var live: [String: LiveRun] = [:]
    /// Queued run ids, first come first served.
    var queue: [String] = []
    /// Runs running or cancelling (they hold a concurrency slot).
    var activeCount = 0
    var history: RunHistory
    var stats = StatsAccumulator()
    var lastActivity: Timestamp
    /// The context as JSON, made once, on the first run (agents receive it).
    private var contextJSON: JSONValue?
    private var nextSequence: UInt64 = 0

    init(historySize: Int, createdAt: Timestamp) {
        history = RunHistory(capacity: historySize)
        lastActivity = createdAt
    }

    var activeRunIDs: [String] {
        live.values.filter { $0.state != .queued }.sorted { $0.sequence < $1.sequence }.map(\.id)
    }

    // MARK: - Transitions

    /// Records a new run; it starts now or waits in the queue.
    mutating func admit(_ run: LiveRun, now: Timestamp, startNow: Bool, aheadOfQueue: Bool = false,
                        ctx: RunTableContext, effects: inout EngineEffects) -> RunSnapshot {
        var run = run
        nextSequence &+= 1
        run.sequence = nextSequence
        live[run.id] = run
        ctx.runIndex.insert(runID: run.id, engineID: ctx.engineID, userID: ctx.context.userID, createdAt: run.createdAt)
        stats.total += 1
        lastActivity = now
        if startNow {
            start(run.id, now: now, ctx: ctx, effects: &effects)
        } else {
            if aheadOfQueue { queue.insert(run.id, at: 0) } else { queue.append(run.id) }
            ctx.emitter.emit(.runQueued, executionID: run.id, agent: run.agent,
                             data: .object(["position": .integer(Int64(aheadOfQueue ? 1 : queue.count)),
                                            "active_runs": .integer(Int64(activeCount))]))
        }
        return snapshot(of: live[run.id] ?? run, ctx: ctx)
    }

    /// queued → running: `agent_started`, the timeout armed, the launch handed out.
    private mutating func start(_ id: String, now: Timestamp, ctx: RunTableContext, effects: inout EngineEffects) {
        guard var run = live[id] else { return }
        run.state = .running
        run.startedAt = now
        run.timers.append(ctx.arm(id, now + run.timeout, .timeout))
        live[id] = run
        activeCount += 1
        let queueWait = now - run.createdAt
        stats.recordStart(queueWait: queueWait)
        lastActivity = now
        ctx.emitter.emit(.agentStarted, executionID: id, agent: run.agent,
                         data: .object(["queue_wait_ms": .integer(queueWait.nanoseconds / 1_000_000)]))
        if contextJSON == nil { contextJSON = ctx.context.jsonValue }
        let request = AgentRunRequest(executionID: id, agent: run.agent, context: contextJSON ?? .null, input: run.input,
                                      userID: ctx.context.userID)
        effects.launches.append(.init(runID: id, runner: run.runner, request: request))
    }

    /// Starts queued runs while slots are free.
    mutating func fillSlots(now: Timestamp, ctx: RunTableContext, effects: inout EngineEffects) {
        while activeCount < ctx.configuration.maxConcurrentRuns, !queue.isEmpty {
            start(queue.removeFirst(), now: now, ctx: ctx, effects: &effects)
        }
    }

    /// Ends a live run: its one terminal event, its record into history and stats, its timers and
    /// (when still working) its agent stopped. Returns the final record; nil if it was not live.
    @discardableResult
    mutating func finalize(_ id: String, _ end: RunEnd, now: Timestamp, stopAgent: Bool, ctx: RunTableContext,
                           effects: inout EngineEffects) -> RunSnapshot? {
        guard let run = live.removeValue(forKey: id) else { return nil }
        if run.state == .queued {
            queue.removeAll { $0 == id }
        } else {
            activeCount -= 1
        }
        effects.timerCancels.append(contentsOf: run.timers)
        if stopAgent, let handle = run.handle { effects.handleCancels.append(handle) }
        let userID = ctx.context.userID
        ctx.ledger?.release(userID, .runs, bytes: run.charged)
        var end = end
        var recordCharge = 0
        if let ledger = ctx.ledger {
            (end, recordCharge) = Self.chargeRecord(of: end, userID: userID, ledger: ledger)
        }

        let state: RunState
        var reason: String?
        var message: String?
        var result: JSONValue?
        let type: EventType
        var data: JSONObject = [:]
        let duration = run.startedAt.map { now - $0 }
        switch end {
        case .completed(let value):
            (state, type, result) = (.completed, .agentCompleted, value)
            data["result"] = value
            data["duration_ms"] = .integer((duration ?? .zero).nanoseconds / 1_000_000)
        case .failed(let kind, let text):
            (state, type, reason, message) = (.failed, .agentError, kind, text)
            data["kind"] = .string(kind)
            data["message"] = .string(text)
        case .cancelled(let cause):
            (state, type, reason) = (.cancelled, .runCancelled, cause.rawValue)
            data["reason"] = .string(cause.rawValue)
        case .timedOut:
            (state, type, reason) = (.timedOut, .runTimedOut, "timeout")
            data["timeout_ms"] = .integer(run.timeout.nanoseconds / 1_000_000)
        }
        ctx.emitter.emit(type, executionID: id, agent: run.agent, data: .object(data))
        let record = RunSnapshot(
            id: id, engineID: ctx.engineID, userID: ctx.context.userID, threadID: ctx.context.threadID,
            runID: ctx.context.runID, agent: run.agent, state: state, reason: reason, errorMessage: message,
            result: result, createdAt: run.createdAt, startedAt: run.startedAt, endedAt: now)
        if let evicted = history.append(record, charged: recordCharge) {
            ctx.runIndex.remove(runID: evicted.id)
            ctx.ledger?.release(userID, .runs, bytes: evicted.charged)
        }
        stats.recordEnd(state, executionTime: duration)
        lastActivity = now
        return record
    }

    /// Charges the record an ended run leaves in history (its result, or its error message, plus
    /// overhead). A result that would pass the budget is not kept: the run ends failed, kind
    /// `budget_exceeded`, and that small record is charged whatever the budget says (bounded by
    /// the history size; a run must leave a record and exactly one terminal event).
    private static func chargeRecord(of end: RunEnd, userID: String, ledger: RetainedBytesLedger) -> (RunEnd, Int) {
        switch end {
        case .completed(let result):
            let bytes = RetainedSize.endedRunOverhead + JSONSizeMeter.size(of: result)
            guard let refusal = ledger.charge(userID, .runs, bytes: bytes) else { return (end, bytes) }
            let scope = if case .global = refusal { "the service's" } else { "your" }
            let failure = RunEnd.failed(kind: "budget_exceeded",
                                        message: "the agent's result would pass \(scope) budget of retained bytes; it was not kept")
            return (failure, forceCharge(failure, userID: userID, ledger: ledger))
        case .failed, .cancelled, .timedOut:
            return (end, forceCharge(end, userID: userID, ledger: ledger))
        }
    }

    private static func forceCharge(_ end: RunEnd, userID: String, ledger: RetainedBytesLedger) -> Int {
        var bytes = RetainedSize.endedRunOverhead
        if case .failed(let kind, let message) = end { bytes += kind.utf8.count + message.utf8.count }
        ledger.forceCharge(userID, .runs, bytes: bytes)
        return bytes
    }

    /// running → cancelling: tells the agent to stop and arms the settle deadline.
    mutating func beginCancelling(_ id: String, reason: CancelReason, now: Timestamp, ctx: RunTableContext,
                                  effects: inout EngineEffects) -> RunSnapshot? {
        guard var run = live[id], run.state == .running else { return nil }
        run.state = .cancelling
        run.stopReason = reason
        run.timers.append(ctx.arm(id, now + ctx.configuration.cancelGrace + ctx.configuration.cancelSettleTimeout, .cancelSettle))
        if let handle = run.handle { effects.handleCancels.append(handle) }
        live[id] = run
        return snapshot(of: run, ctx: ctx)
    }

    // MARK: - Reading

    func snapshot(of run: LiveRun, ctx: RunTableContext) -> RunSnapshot {
        RunSnapshot(id: run.id, engineID: ctx.engineID, userID: ctx.context.userID, threadID: ctx.context.threadID,
                    runID: ctx.context.runID, agent: run.agent, state: run.state,
                    reason: run.stopReason?.rawValue, errorMessage: nil, result: nil, createdAt: run.createdAt,
                    startedAt: run.startedAt, endedAt: nil)
    }

    func find(_ id: String, ctx: RunTableContext) -> RunSnapshot? {
        if let run = live[id] { return snapshot(of: run, ctx: ctx) }
        return history.find(id)
    }

    /// Live runs (oldest first) followed by ended ones (oldest first).
    func all(ctx: RunTableContext) -> [RunSnapshot] {
        live.values.sorted { $0.sequence < $1.sequence }.map { snapshot(of: $0, ctx: ctx) } + history.ordered
    }

    var currentStats: EngineStats { stats.snapshot(active: activeCount, queued: queue.count) }
}
