/// Which of a user's runs a list shows (every member optional; all given must hold).
public struct RunListFilter: Sendable, Equatable {
    public var engineID: String?
    public var threadID: String?
    public var state: RunState?

    public init(engineID: String? = nil, threadID: String? = nil, state: RunState? = nil) {
        self.engineID = engineID
        self.threadID = threadID
        self.state = state
    }
}

/// The user's newest-first lists of engines and runs, a page at a time. Each page seeks to its
/// cursor (`RecencyOrder`) and reads only about a page of items, so paging through ten thousand
/// runs costs the same per page as the first page.
extension ExecutionEngineFactory {
    /// One page of the user's live engines' summaries, newest first, strictly below `before`.
    /// The summaries are taken after the registry's lock is released (each takes its engine's).
    public func summaries(userID: String, before: ListingKey?, limit: Int) -> ListingPage<EngineSummary> {
        let limit = max(1, limit)
        let found = registry.withLock { $0.newest(userID: userID, before: before, limit: limit + 1) }
        return ListingPage(probing: found.map(\.summary), limit: limit, key: \.listingKey)
    }

    /// One page of the user's runs (live, and ended ones their engines still hold), newest first,
    /// strictly below `before`. Engine and thread filters are applied while seeking (a run's
    /// engine decides both); a state filter is applied to the records read, in batches, until the
    /// page is full or the user's runs are exhausted.
    public func runs(userID: String, filter: RunListFilter = RunListFilter(), before: ListingKey?,
                     limit: Int) -> ListingPage<RunSnapshot> {
        let limit = max(1, limit)
        let engines: [String: UserExecutionEngine] = registry.withLock { registry in
            var chosen: [String: UserExecutionEngine] = [:]
            let candidates = filter.engineID.map { id in registry.engine(id: id, userID: userID).map { [$0] } ?? [] }
                ?? registry.engines(userID: userID)
            for engine in candidates where filter.threadID.map({ $0 == engine.context.threadID }) ?? true {
                chosen[engine.id] = engine
            }
            return chosen
        }
        guard !engines.isEmpty else { return ListingPage(items: [], next: nil) }
        var found: [RunSnapshot] = []
        var cursor = before
        while found.count <= limit {
            let wanted = limit + 1 - found.count
            // Sparse states would otherwise be read in many tiny batches.
            let batch = filter.state == nil ? wanted : max(wanted, 256)
            let entries = runIndex.newest(userID: userID, before: cursor, limit: batch) { engines[$0] != nil }
            for entry in entries where found.count <= limit {
                guard let run = engines[entry.value]?.run(id: entry.key.id) else { continue } // ended and evicted meanwhile
                if let state = filter.state, run.state != state { continue }
                found.append(run)
            }
            guard entries.count == batch, let last = entries.last else { break }
            cursor = last.key
        }
        return ListingPage(probing: found, limit: limit, key: \.listingKey)
    }
}
