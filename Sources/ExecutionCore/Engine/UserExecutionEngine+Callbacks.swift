import VisibleLocks
extension UserExecutionEngine {
    /// An agent's progress event. Only progress types are forwarded; anything else fails the run
    /// (`bad_output`) and stops the agent, since the engine alone emits lifecycle events.
    func agentProgress(runID: String, type: EventType, data: JSONValue) {
        endStartedRun(runID, stopAgent: true) { run, now, table in
            if type.isAgentProgress {
                emitter.emit(type, executionID: runID, agent: run.agent, data: boundedEventData(data))
                table.lastActivity = now
                return nil
            }
            return run.stopReason.map(RunEnd.cancelled)
                ?? .failed(kind: "bad_output", message: "the agent sent '\(type.rawValue)', which only the engine may send")
        }
    }

    /// The agent's own end of a run. Ignored once the engine has ended the run itself; a run the
    /// owner is cancelling ends `cancelled` whatever the agent reports.
    func agentFinished(runID: String, outcome: AgentOutcome) {
        endStartedRun(runID, stopAgent: false) { run, _, _ in
            if let reason = run.stopReason { return .cancelled(reason) }
            switch outcome {
            case .completed(let result) where !JSONSizeMeter.fits(result, limit: configuration.maxAgentDataBytes):
                return .failed(kind: "result_limit",
                               message: "the agent's result is larger than \(configuration.maxAgentDataBytes) bytes (engines.max_agent_data_bytes); it was not kept")
            case .completed(let result): return .completed(result)
            case .failed(let kind, let message): return .failed(kind: kind, message: message)
            }
        }
    }

    /// An agent event's data as published: itself, or (when larger than the limit) a note that
    /// it was left out, so one chatty agent cannot fill the replay ring and its subscribers.
    private func boundedEventData(_ data: JSONValue) -> JSONValue {
        guard !JSONSizeMeter.fits(data, limit: configuration.maxAgentDataBytes) else { return data }
        return .object(["data_omitted": .string("larger than \(configuration.maxAgentDataBytes) bytes (engines.max_agent_data_bytes)")])
    }

    /// A run's timer went off: its timeout (→ `timed_out`, agent stopped) or the settle deadline
    /// of an owner's cancel (→ `cancelled` even though the agent never confirmed).
    func timerFired(runID: String, timer: RunTimer) {
        endStartedRun(runID, stopAgent: true) { run, _, _ in
            switch (timer, run.stopReason) {
            case (_, .some(let reason)): return .cancelled(reason)
            case (.timeout, nil): return .timedOut
            case (.cancelSettle, nil): return nil
            }
        }
    }

    /// The one way an agent callback or a timer ends a started run: under the engine's lock,
    /// `decide` picks the run's end (nil: the run goes on), the run is finalized and its slot
    /// refilled; the effects run after the lock. A run already ended or still queued is ignored.
    private func endStartedRun(_ runID: String, stopAgent: Bool,
                               decide: (_ run: LiveRun, _ now: Timestamp, _ table: inout RunTable) -> RunEnd?) {
        let now = clock.now()
        let ctx = tableContext
        var effects = EngineEffects()
        core.withLock { core in
            guard let run = core.table.live[runID], run.state != .queued,
                  let end = decide(run, now, &core.table) else { return }
            core.table.finalize(runID, end, now: now, stopAgent: stopAgent, ctx: ctx, effects: &effects)
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
