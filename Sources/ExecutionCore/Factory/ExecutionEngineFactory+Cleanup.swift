import VisibleLocks
extension ExecutionEngineFactory {
    /// Cleans the user's engine: its live runs end (`run_cancelled`, reason `engine_cleaned`), it
    /// leaves the registry and its slot is given back. Idempotent.
    public func cleanup(engineID: String, userID: String) -> CleanupOutcome {
        let found: UserExecutionEngine? = registry.withLock { $0.engine(id: engineID, userID: userID) }
        guard let engine = found else {
            let remembered = registry.withLock { $0.recentlyCleaned.contains(engineID: engineID, userID: userID) }
            return remembered ? .alreadyCleaned : .unknown
        }
        return cleanUp(engine, cause: .requested)
    }

    /// Cleans every engine the user holds that is bound to the context `requestID` (deleting a
    /// context cancels its runs). Returns how many were cleaned.
    @discardableResult
    public func cleanupEngines(forContextRequestID requestID: String, userID: String) -> Int {
        engines(userID: userID).filter { $0.context.requestID == requestID }
            .reduce(0) { cleaned, engine in cleanUp(engine, cause: .requested) == .cleaned ? cleaned + 1 : cleaned }
    }

    /// THE cleanup path; every other way of destroying an engine goes through here.
    /// `idleFor`: clean only if the engine is (still) idle that long.
    func cleanUp(_ engine: UserExecutionEngine, cause: EngineCleanupCause, idleFor: Duration? = nil) -> CleanupOutcome {
        let now = clock.now()
        guard engine.beginCleanup(reason: cause.runReason, now: now, idleFor: idleFor) else {
            return idleFor == nil ? .alreadyCleaned : .unknown
        }
        let removed = registry.withLock { $0.remove(engine, cause: cause) }
        if !removed || !slots.release(userID: engine.context.userID) { count(.cleanupError) }
        // A cleaned engine takes no new runs, so its run ids are final: forget them all.
        runIndex.remove(runIDs: engine.knownRunIDs)
        engine.finishCleanup()
        return .cleaned
    }

    /// What one sweep did.
    public struct SweepReport: Sendable, Equatable {
        public var idleCleaned = 0
        public var expiredCleaned = 0
    }

    /// One pass of the sweep (the background task calls it every `cleanupInterval`): engines idle
    /// for `idleTimeout` are cleaned; engines past `maxLifetime` stop accepting runs and are
    /// cleaned once their runs end, or after `runGrace` with their runs cancelled (reason
    /// `max_lifetime`). A running run is never cut by the idle rule.
    @discardableResult
    public func sweep() -> SweepReport {
        let now = clock.now()
        let engines = registry.withLock { Array($0.engines.values) }
        var report = SweepReport()
        for engine in engines {
            switch engine.sweepVerdict(now: now, idleTimeout: configuration.idleTimeout, runGrace: configuration.runGrace) {
            case .keep: break
            case .idle:
                if cleanUp(engine, cause: .idleTimeout, idleFor: configuration.idleTimeout) == .cleaned { report.idleCleaned += 1 }
            case .expired:
                if cleanUp(engine, cause: .maxLifetime) == .cleaned { report.expiredCleaned += 1 }
            }
        }
        count(.sweep)
        return report
    }
}
