import VisibleLocks
/// What the factory's sweep should do with an engine.
enum SweepVerdict: Equatable {
    case keep
    /// No live run and idle for the idle timeout.
    case idle
    /// Past its lifetime and either without runs or past the runs' grace period.
    case expired
}

extension UserExecutionEngine {
    /// True while a run is queued, running or cancelling.
    var hasLiveRuns: Bool { core.withLock { !$0.table.live.isEmpty } }

    /// Decides the sweep's action, retiring the engine (no new runs) once past its lifetime.
    /// Running runs are never a reason to clean, except past the lifetime's grace period, and then
    /// they end with the reason `max_lifetime`.
    func sweepVerdict(now: Timestamp, idleTimeout: Duration, runGrace: Duration) -> SweepVerdict {
        core.withLock { core in
            switch core.phase {
            case .cleaning, .cleaned: return .keep
            case .open where now >= expiresAt: core.phase = .retiring
            case .open, .retiring: break
            }
            if case .retiring = core.phase {
                return core.table.live.isEmpty || now >= expiresAt + runGrace ? .expired : .keep
            }
            return core.table.live.isEmpty && now - core.table.lastActivity >= idleTimeout ? .idle : .keep
        }
    }

    /// Stops accepting runs (shutdown drain); live runs continue.
    func retire() {
        core.withLock { core in
            if case .open = core.phase { core.phase = .retiring }
        }
    }

    /// First half of the one cleanup path: claims the engine (→ `cleaning`, runs refused) and ends
    /// every live run with `reason`, telling agents to stop. With `idleFor`, claims only if the
    /// engine is still idle at `now` (so a run admitted since the sweep looked is never cut).
    /// False when someone else already claimed it, or the guard failed.
    func beginCleanup(reason: CancelReason, now: Timestamp, idleFor idleTimeout: Duration? = nil) -> Bool {
        var effects = EngineEffects()
        let claimed: Bool = core.withLock { core in
            switch core.phase {
            case .cleaning, .cleaned: return false
            case .open, .retiring: break
            }
            if let idleTimeout {
                guard core.table.live.isEmpty, now - core.table.lastActivity >= idleTimeout else { return false }
            }
            core.phase = .cleaning
            if core.table.live.isEmpty { return true }
            let ctx = tableContext
            let order = core.table.activeRunIDs + core.table.queue
            for runID in order {
                core.table.finalize(runID, .cancelled(reason), now: now, stopAgent: true, ctx: ctx, effects: &effects)
            }
            return true
        }
        perform(effects)
        return claimed
    }

    /// Second half: the engine is `cleaned` for good. Its history stays readable to whoever
    /// still holds the engine, but it is no longer the user's: its charge is given back (once;
    /// nothing can enter the history of a cleaned engine).
    func finishCleanup() {
        let released = core.withLock { core -> (bytes: Int, items: Int)? in
            if case .cleaned = core.phase { return nil }
            core.phase = .cleaned
            return (core.table.history.chargedBytes, core.table.history.count)
        }
        if let released, released.items > 0 { ledger?.release(context.userID, .runs, bytes: released.bytes, items: released.items) }
    }
}
