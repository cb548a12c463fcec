import VisibleLocks

/// Which engine holds a run: run id → engine id, for every run an engine still knows (live or in
/// its history). Looking a run up by id is then one dictionary read and one engine lookup, instead
/// of a walk over every engine of the user and each engine's history (twice per run stream).
///
/// Engines write it under their own lock (lock order: engine core, then this), so an entry is
/// added before its run can be seen and removed when the run leaves the engine's history; the
/// factory removes an engine's entries once the engine is cleaned. Ownership is not checked here:
/// callers resolve the engine through the registry, which answers only the owner.
public final class RunIndex: Sendable {
    private let engines = VisibleMutex<[String: String]>([:])

    public init() {}

    func insert(runID: String, engineID: String) {
        engines.withLock { $0[runID] = engineID }
    }

    func remove(runID: String) {
        engines.withLock { _ = $0.removeValue(forKey: runID) }
    }

    func remove(runIDs: [String]) {
        guard !runIDs.isEmpty else { return }
        engines.withLock { engines in
            for runID in runIDs { engines.removeValue(forKey: runID) }
        }
    }

    /// The engine holding `runID`, if any engine still knows it.
    public func engineID(holdingRun runID: String) -> String? {
        engines.withLock { $0[runID] }
    }

    /// How many runs are indexed (tests, gauges).
    public var count: Int { engines.withLock { $0.count } }
}
