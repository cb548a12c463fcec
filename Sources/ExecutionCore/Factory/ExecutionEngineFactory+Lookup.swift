import VisibleLocks
extension ExecutionEngineFactory {
    /// The user's engine with this id; nil for unknown ids and for other users' engines alike.
    public func engine(id: String, userID: String) -> UserExecutionEngine? {
        registry.withLock { $0.engine(id: id, userID: userID) }
    }

    /// The user's live engines.
    public func engines(userID: String) -> [UserExecutionEngine] {
        registry.withLock { $0.engines(userID: userID) }
    }

    /// Summaries of the user's live engines.
    public func summaries(userID: String) -> [EngineSummary] {
        engines(userID: userID).map(\.summary)
    }

    /// How many engines the user holds now.
    public func activeEngineCount(userID: String) -> Int {
        registry.withLock { $0.byUser[userID]?.count ?? 0 }
    }

    /// A run of any of the user's live engines (running, queued or in an engine's history).
    /// One index read and one registry read, whatever the number of engines and runs.
    public func run(id runID: String, userID: String) -> RunSnapshot? {
        engine(holdingRun: runID, userID: userID)?.run(id: runID)
    }

    /// The engine holding the user's run, for callers that act on it (another user's run: nil).
    public func engine(holdingRun runID: String, userID: String) -> UserExecutionEngine? {
        guard let engineID = runIndex.engineID(holdingRun: runID) else { return nil }
        return engine(id: engineID, userID: userID)
    }

    /// How many runs the factory can find by id (live and in engines' histories).
    public var indexedRunCount: Int { runIndex.count }

    /// Cancels the user's run (idempotent; owner only: another user's run is `notFound`).
    public func cancelRun(id runID: String, userID: String, reason: CancelReason = .cancelled) -> CancelOutcome {
        guard let engine = engine(holdingRun: runID, userID: userID) else { return .notFound }
        return engine.cancelRun(id: runID, reason: reason)
    }
}
