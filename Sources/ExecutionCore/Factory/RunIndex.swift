import VisibleLocks

/// Which engine holds a run: run id → engine id, for every run an engine still knows (live or in
/// its history). Looking a run up by id is then one dictionary read and one engine lookup, instead
/// of a walk over every engine of the user and each engine's history (twice per run stream).
///
/// It also keeps each user's runs by (created_at, id) (`RecencyOrder`), so a page of the user's
/// newest-first run list is a seek to its cursor, whatever the number of pages before it.
///
/// Engines write it under their own lock (lock order: engine core, then this), so an entry is
/// added before its run can be seen and removed when the run leaves the engine's history; the
/// factory removes an engine's entries once the engine is cleaned. Ownership is not checked on a
/// lookup by id: callers resolve the engine through the registry, which answers only the owner.
public final class RunIndex: Sendable {
    private struct Located {
        let engineID: String
        let userID: String
        let key: ListingKey
    }

    private struct State {
        var runs: [String: Located] = [:]
        /// Per user: run keys → the engine holding the run.
        var byUser: [String: RecencyOrder<String>] = [:]

        mutating func remove(_ runID: String) {
            guard let located = runs.removeValue(forKey: runID) else { return }
            byUser[located.userID]?.remove(located.key)
            if byUser[located.userID]?.isEmpty == true { byUser[located.userID] = nil }
        }
    }

    private let state = VisibleMutex(State())

    public init() {}

    func insert(runID: String, engineID: String, userID: String, createdAt: Timestamp) {
        let key = ListingKey(createdAt: createdAt, id: runID)
        state.withLock { state in
            state.runs[runID] = Located(engineID: engineID, userID: userID, key: key)
            state.byUser[userID, default: RecencyOrder()].insert(key, engineID)
        }
    }

    func remove(runID: String) {
        state.withLock { $0.remove(runID) }
    }

    func remove(runIDs: [String]) {
        guard !runIDs.isEmpty else { return }
        state.withLock { state in
            for runID in runIDs { state.remove(runID) }
        }
    }

    /// The engine holding `runID`, if any engine still knows it.
    public func engineID(holdingRun runID: String) -> String? {
        state.withLock { $0.runs[runID]?.engineID }
    }

    /// Up to `limit` of the user's runs held by an engine `matching`, newest first, strictly below
    /// `before`: (key, engine id) pairs, found by a binary search and a walk of the page.
    public func newest(userID: String, before: ListingKey?, limit: Int,
                       engineMatching: (String) -> Bool = { _ in true }) -> [RecencyOrder<String>.Entry] {
        state.withLock { $0.byUser[userID]?.newest(before: before, limit: limit, matching: engineMatching) ?? [] }
    }

    /// How many runs are indexed (tests, gauges).
    public var count: Int { state.withLock { $0.runs.count } }
}
