import Synchronization
import VisibleLocks

/// One user's execution engine (SPEC.md §3), bound to one context for life, never shared, never
/// reused. Runs agents by name, at most `maxConcurrentRuns` at once, the rest in a bounded queue;
/// every run gets a server-made id, `agent_started`, the agent's progress, then exactly one
/// terminal event, all stamped by this engine's emitter with its context's identity.
///
/// Made only by `ExecutionEngineFactory` (through an `EngineBuilder`); destroyed only by it.
public final class UserExecutionEngine: Sendable {
    /// A random UUID, never derived from time.
    public let id: String
    public let context: UserExecutionContext
    /// Bound to this engine's user, thread, run, request and id.
    public let emitter: EngineEventEmitter
    public let createdAt: Timestamp
    /// After this instant (its maximum lifetime) the engine accepts no new runs.
    public let expiresAt: Timestamp
    public let configuration: EngineConfiguration

    enum Phase {
        case open
        /// Past its lifetime: finishes its runs, accepts no new ones.
        case retiring
        case cleaning
        case cleaned
    }

    struct Core {
        var phase: Phase = .open
        var table: RunTable
    }

    let agents: any AgentProvider
    let clock: any ExecutionClock
    let runIndex: RunIndex
    /// Charged for this engine's runs; nil keeps no account.
    let ledger: RetainedBytesLedger?
    let core: VisibleMutex<Core>

    /// Builds an engine from the parts the factory prepared (see `EngineBuilder`).
    public init(parts: EngineParts) {
        id = parts.id
        context = parts.context
        configuration = parts.configuration
        agents = parts.agents
        clock = parts.clock
        runIndex = parts.runIndex
        ledger = parts.ledger
        createdAt = parts.createdAt
        expiresAt = parts.expiresAt
        emitter = EngineEventEmitter(context: parts.context, engineID: parts.id, publisher: parts.eventPublisher, clock: parts.clock)
        core = VisibleMutex(Core(table: RunTable(historySize: parts.configuration.historySize, createdAt: parts.createdAt)))
    }

    var tableContext: RunTableContext {
        RunTableContext(engineID: id, context: context, emitter: emitter, configuration: configuration,
                        clock: clock, runIndex: runIndex, ledger: ledger, engine: self)
    }

    // MARK: - Runs

    /// Starts agent `agent` on `input` (or queues it, refuses it, or interrupts the active runs when
    /// the engine is busy, as `ifBusy` says). Returns the new run's record (`running` or `queued`).
    public func startRun(agent: String, input: JSONValue = .object([:]),
                         ifBusy: BusyPolicy = .enqueue) throws(RunRequestError) -> RunSnapshot {
        guard let runner = agents.runner(named: agent) else { throw .unknownAgent(agent) }
        guard let inputBytes = JSONSizeMeter.size(of: input, limit: configuration.maxRunInputBytes) else {
            throw .inputTooLarge(limit: configuration.maxRunInputBytes)
        }
        // Charged before admission and given back if it is refused; a live run's charge is
        // released when it ends (`RunTable.finalize`).
        let charged = ledger == nil ? 0 : inputBytes + RetainedSize.liveRunOverhead
        if let refusal = ledger?.charge(context.userID, .runs, bytes: charged) { throw .budgetExceeded(refusal) }
        let now = clock.now()
        let run = LiveRun(id: RandomIdentifier.uuid(), agent: agent, input: input, runner: runner,
                          timeout: (agents.runTimeout(forAgent: agent) ?? configuration.runTimeout).clampedForDeadlines,
                          createdAt: now, charged: charged)
        let ctx = tableContext
        var effects = EngineEffects()
        let outcome: Result<RunSnapshot, RunRequestError> = core.withLock { core in
            switch core.phase {
            case .cleaning, .cleaned: return .failure(.engineCleaned)
            case .retiring: return .failure(.engineRetiring)
            case .open where now >= expiresAt:
                core.phase = .retiring
                return .failure(.engineRetiring)
            case .open: break
            }
            if core.table.activeCount < configuration.maxConcurrentRuns {
                return .success(core.table.admit(run, now: now, startNow: true, ctx: ctx, effects: &effects))
            }
            switch ifBusy {
            case .reject:
                return .failure(.busy(activeRunIDs: core.table.activeRunIDs))
            case .enqueue:
                guard core.table.queue.count < configuration.maxQueuedRuns else {
                    return .failure(.queueFull(limit: configuration.maxQueuedRuns))
                }
                return .success(core.table.admit(run, now: now, startNow: false, ctx: ctx, effects: &effects))
            case .interrupt:
                // The active runs are told to stop, and each keeps its slot until its agent is
                // gone (a process agent: its group killed and reaped), so interrupting again and
                // again never piles up processes. The newcomer waits at the head of the queue
                // and starts in the first slot freed; an earlier interrupter still waiting there
                // is superseded.
                for activeID in core.table.activeRunIDs {
                    _ = core.table.beginCancelling(activeID, reason: .interrupted, now: now, ctx: ctx, effects: &effects)
                }
                for waitingID in core.table.queue where core.table.live[waitingID]?.interrupting == true {
                    core.table.finalize(waitingID, .cancelled(.interrupted), now: now, stopAgent: false, ctx: ctx, effects: &effects)
                }
                var interrupter = run
                interrupter.interrupting = true
                return .success(core.table.admit(interrupter, now: now, startNow: false, aheadOfQueue: true, ctx: ctx, effects: &effects))
            }
        }
        perform(effects)
        switch outcome {
        case .success(let snapshot): return snapshot
        case .failure(let error):
            ledger?.release(context.userID, .runs, bytes: charged)
            throw error
        }
    }

    /// Cancels one of this engine's runs (idempotent). A queued run ends at once; a running one is
    /// told to stop (`cancelGrace`) and ends `cancelled` when it does, or after the settle timeout.
    public func cancelRun(id runID: String, reason: CancelReason = .cancelled) -> CancelOutcome {
        let now = clock.now()
        let ctx = tableContext
        var effects = EngineEffects()
        let outcome: CancelOutcome = core.withLock { core in
            guard let run = core.table.live[runID] else {
                return core.table.history.find(runID).map(CancelOutcome.alreadyTerminal) ?? .notFound
            }
            switch run.state {
            case .queued:
                let record = core.table.finalize(runID, .cancelled(reason), now: now, stopAgent: false, ctx: ctx, effects: &effects)
                return record.map(CancelOutcome.cancelled) ?? .notFound
            case .running:
                let record = core.table.beginCancelling(runID, reason: reason, now: now, ctx: ctx, effects: &effects)
                return record.map(CancelOutcome.cancelling) ?? .notFound
            default:
                return .cancelling(core.table.snapshot(of: run, ctx: ctx))
            }
        }
        perform(effects)
        return outcome
    }

    /// One of this engine's runs, live or in its history.
    public func run(id runID: String) -> RunSnapshot? {
        let ctx = tableContext
        return core.withLock { $0.table.find(runID, ctx: ctx) }
    }

    /// The ids of every run this engine still knows (live or in its history).
    var knownRunIDs: [String] {
        core.withLock { Array($0.table.live.keys) + $0.table.history.ids }
    }

    /// Live runs, then ended runs in the history, each oldest first.
    public var runs: [RunSnapshot] {
        let ctx = tableContext
        return core.withLock { $0.table.all(ctx: ctx) }
    }

    // MARK: - State

    public var state: EngineState {
        core.withLock { core in
            switch core.phase {
            case .cleaning: .cleaning
            case .cleaned: .cleaned
            case .open, .retiring: core.table.live.isEmpty ? .active : .running
            }
        }
    }

    /// False once the engine is past its lifetime or being cleaned.
    public var isAcceptingRuns: Bool {
        let now = clock.now()
        return core.withLock { core in
            if case .open = core.phase { return now < expiresAt }
            return false
        }
    }

    public var stats: EngineStats { core.withLock { $0.table.currentStats } }

    /// The last time a run was admitted, started, reported progress or ended (or creation).
    public var lastActivityAt: Timestamp { core.withLock { $0.table.lastActivity } }

    public var summary: EngineSummary {
        let (engineState, accepting, lastActivity, stats, historyCount) = core.withLock { core in
            let engineState: EngineState = switch core.phase {
            case .cleaning: .cleaning
            case .cleaned: .cleaned
            case .open, .retiring: core.table.live.isEmpty ? .active : .running
            }
            let accepting = if case .open = core.phase { true } else { false }
            return (engineState, accepting, core.table.lastActivity, core.table.currentStats, core.table.history.count)
        }
        return EngineSummary(id: id, userID: context.userID, threadID: context.threadID, runID: context.runID,
                             requestID: context.requestID, state: engineState,
                             acceptingRuns: accepting && clock.now() < expiresAt, createdAt: createdAt,
                             expiresAt: expiresAt, lastActivityAt: lastActivity, stats: stats,
                             historyCount: historyCount, historyCapacity: configuration.historySize)
    }

    // MARK: - Effects

    /// Does what a locked section decided, outside the lock: timers cancelled, agents told to stop,
    /// new runs launched.
    func perform(_ effects: EngineEffects) {
        for timer in effects.timerCancels { timer.cancel() }
        for handle in effects.handleCancels { handle.cancel(gracePeriod: configuration.cancelGrace) }
        for launch in effects.launches { self.launch(launch) }
    }

    private func launch(_ launch: EngineEffects.Launch) {
        let output = RunOutputSink(engine: self, runID: launch.runID)
        let handle: any AgentRunHandle
        do {
            handle = try launch.runner.start(launch.request, output: output)
        } catch {
            agentFinished(runID: launch.runID, outcome: .failed(kind: error.kind, message: error.message))
            return
        }
        // The run may have been cancelled, timed out or cleaned while the agent started: then the
        // work it just began must stop too.
        let stopNow: Bool = core.withLock { core in
            guard var run = core.table.live[launch.runID] else { return true }
            run.handle = handle
            core.table.live[launch.runID] = run
            return run.state == .cancelling
        }
        if stopNow { handle.cancel(gracePeriod: configuration.cancelGrace) }
    }
}
