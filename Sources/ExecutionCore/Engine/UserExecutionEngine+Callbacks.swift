import VisibleLocks
extension UserExecutionEngine {
    /// An agent's progress event. Only progress types are forwarded; anything else fails the run
    /// (`bad_output`) and stops the agent, since the engine alone emits lifecycle events.
    func agentProgress(runID: String, type: EventType, data: JSONValue) {
        let now = clock.now()
        let ctx = tableContext
        var effects = EngineEffects()
        core.withLock { core in
            guard let run = core.table.live[runID], run.state != .queued else { return }
            if type.isAgentProgress {
                emitter.emit(type, executionID: runID, agent: run.agent, data: data)
                core.table.lastActivity = now
                return
            }
            let end = run.stopReason.map(RunEnd.cancelled)
                ?? .failed(kind: "bad_output", message: "the agent sent '\(type.rawValue)', which only the engine may send")
            core.table.finalize(runID, end, now: now, stopAgent: true, ctx: ctx, effects: &effects)
            refill(&core, now: now, ctx: ctx, effects: &effects)
        }
        perform(effects)
    }

    /// The agent's own end of a run. Ignored once the engine has ended the run itself; a run the
    /// owner is cancelling ends `cancelled` whatever the agent reports.
    func agentFinished(runID: String, outcome: AgentOutcome) {
        let now = clock.now()
        let ctx = tableContext
        var effects = EngineEffects()
        core.withLock { core in
            guard let run = core.table.live[runID], run.state != .queued else { return }
            let end: RunEnd
            if let reason = run.stopReason {
                end = .cancelled(reason)
            } else {
                switch outcome {
                case .completed(let result): end = .completed(result)
                case .failed(let kind, let message): end = .failed(kind: kind, message: message)
                }
            }
            core.table.finalize(runID, end, now: now, stopAgent: false, ctx: ctx, effects: &effects)
            refill(&core, now: now, ctx: ctx, effects: &effects)
        }
        perform(effects)
    }

    /// A run's timer went off: its timeout (→ `timed_out`, agent stopped) or the settle deadline
    /// of an owner's cancel (→ `cancelled` even though the agent never confirmed).
    func timerFired(runID: String, timer: RunTimer) {
        let now = clock.now()
        let ctx = tableContext
        var effects = EngineEffects()
        core.withLock { core in
            guard let run = core.table.live[runID], run.state != .queued else { return }
            let end: RunEnd
            switch (timer, run.stopReason) {
            case (_, .some(let reason)): end = .cancelled(reason)
            case (.timeout, nil): end = .timedOut
            case (.cancelSettle, nil): return
            }
            core.table.finalize(runID, end, now: now, stopAgent: true, ctx: ctx, effects: &effects)
            refill(&core, now: now, ctx: ctx, effects: &effects)
        }
        perform(effects)
    }

    /// A freed slot goes to the next queued run, unless the engine is being torn down.
    private func refill(_ core: inout Core, now: Timestamp, ctx: RunTableContext, effects: inout EngineEffects) {
        switch core.phase {
        case .open, .retiring: core.table.fillSlots(now: now, ctx: ctx, effects: &effects)
        case .cleaning, .cleaned: break
        }
    }
}

/// What an agent holds for one run: it can only speak about that run, through that engine. Holds
/// the engine weakly, so an agent that outlives its engine keeps nothing alive.
final class RunOutputSink: AgentRunOutput {
    weak let engine: UserExecutionEngine?
    let runID: String

    init(engine: UserExecutionEngine, runID: String) {
        self.engine = engine
        self.runID = runID
    }

    func progress(_ type: EventType, data: JSONValue) {
        engine?.agentProgress(runID: runID, type: type, data: data)
    }

    func finish(_ outcome: AgentOutcome) {
        engine?.agentFinished(runID: runID, outcome: outcome)
    }
}
