/// Where a run is in its life. `queued`, `running` and `cancelling` are live; the rest are final.
public enum RunState: String, Sendable, Equatable, CaseIterable {
    case queued
    case running
    /// The owner cancelled it; the agent has been told and the run ends `cancelled` once it stops
    /// (or after the settle timeout).
    case cancelling
    case completed
    case failed
    case cancelled
    case timedOut = "timed_out"

    public var isTerminal: Bool {
        switch self {
        case .queued, .running, .cancelling: false
        case .completed, .failed, .cancelled, .timedOut: true
        }
    }
}

/// Why a run was cancelled (the `reason` of its `run_cancelled` event and record). Each cause
/// has its own word, so a user's cancel is never confused with a shutdown.
public enum CancelReason: String, Sendable, Equatable, CaseIterable {
    /// The owner asked.
    case cancelled
    /// A later run with `if_busy: interrupt` replaced it.
    case interrupted
    /// The service is shutting down.
    case shutdown
    /// Its engine was deleted.
    case engineCleaned = "engine_cleaned"
    /// Its engine passed its maximum lifetime and the grace period for running runs ran out.
    case maxLifetime = "max_lifetime"
}

/// What `startRun` does when the engine already runs its maximum of concurrent runs.
public enum BusyPolicy: String, Sendable, Equatable, CaseIterable {
    /// Wait in the engine's bounded queue (a `run_queued` event says so); refused when full.
    case enqueue
    /// Refuse, naming the active runs.
    case reject
    /// Cancel the active runs (reason `interrupted`) and start at the head of the queue, in the
    /// first slot their agents free once gone.
    case interrupt
}

/// Why a run request was refused.
public enum RunRequestError: Error, Sendable, Equatable {
    /// No agent of that name is configured.
    case unknownAgent(String)
    /// The input is larger than `EngineConfiguration.maxRunInputBytes` (`limit`).
    case inputTooLarge(limit: Int)
    /// The engine is busy and the request said `reject`; these runs are active.
    case busy(activeRunIDs: [String])
    /// The engine is busy and its queue holds `limit` runs already.
    case queueFull(limit: Int)
    /// The engine passed its maximum lifetime: it finishes its runs but accepts no new ones.
    case engineRetiring
    /// The engine is cleaned (or being cleaned): it never runs anything again.
    case engineCleaned
    /// Keeping the run's input would pass the user's or the global budget of retained bytes.
    case budgetExceeded(BudgetRefusal)
}

/// What a cancel request found and did.
public enum CancelOutcome: Sendable, Equatable {
    /// The run was running: the agent has been told to stop; it is `cancelling` now.
    case cancelling(RunSnapshot)
    /// The run ended at once (it was still queued, or was already cancelling and is reported as is).
    case cancelled(RunSnapshot)
    /// The run had already ended (in any way); nothing was done.
    case alreadyTerminal(RunSnapshot)
    /// No such run (for this owner).
    case notFound
}

/// An engine's life (SPEC.md §3): `active` (idle) ⇄ `running` (≥ 1 live run), then `cleaning` →
/// `cleaned` (terminal: run requests refused).
public enum EngineState: String, Sendable, Equatable, CaseIterable {
    case active
    case running
    case cleaning
    case cleaned
}
