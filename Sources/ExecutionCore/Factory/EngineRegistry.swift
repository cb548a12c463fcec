/// The factory's live engines and counters, kept under one short lock (never held while an engine
/// is built or cleaned). Inserting counts `created`, removing counts `cleaned`, in the same step,
/// so `created - cleaned == engines.count` at every instant.
struct EngineRegistry {
    struct Counters {
        var created = 0
        var cleaned = 0
        var creationErrors = 0
        var cleanupErrors = 0
        var timeoutCleanups = 0
        var userLimitRejections = 0
        var globalLimitRejections = 0
        var breakerRejections = 0
        var sweeps = 0
    }

    var engines: [String: UserExecutionEngine] = [:]
    /// Engine ids per user, for the user's lookups and gauges.
    var byUser: [String: [String]] = [:]
    /// Each user's engines by (created_at, id), for the newest-first list (`newest(userID:…)`).
    var recency: [String: RecencyOrder<Void>] = [:]
    var recentlyCleaned: RecentlyCleaned
    var counters = Counters()
    /// Set by shutdown: nothing new is committed afterwards.
    var closed = false

    init(recentlyCleanedCapacity: Int) {
        recentlyCleaned = RecentlyCleaned(capacity: recentlyCleanedCapacity)
    }

    mutating func insert(_ engine: UserExecutionEngine) {
        engines[engine.id] = engine
        byUser[engine.context.userID, default: []].append(engine.id)
        recency[engine.context.userID, default: RecencyOrder()].insert(engine.listingKey, ())
        counters.created += 1
    }

    /// Removes the engine (if registered) and counts it cleaned.
    mutating func remove(_ engine: UserExecutionEngine, cause: EngineCleanupCause) -> Bool {
        guard engines.removeValue(forKey: engine.id) != nil else { return false }
        let userID = engine.context.userID
        byUser[userID]?.removeAll { $0 == engine.id }
        if byUser[userID]?.isEmpty == true { byUser[userID] = nil }
        recency[userID]?.remove(engine.listingKey)
        if recency[userID]?.isEmpty == true { recency[userID] = nil }
        recentlyCleaned.insert(engineID: engine.id, userID: userID)
        counters.cleaned += 1
        if cause.isTimeout { counters.timeoutCleanups += 1 }
        return true
    }

    /// The user's engine with this id; another user's id is not found.
    func engine(id: String, userID: String) -> UserExecutionEngine? {
        guard let engine = engines[id], engine.context.userID == userID else { return nil }
        return engine
    }

    func engines(userID: String) -> [UserExecutionEngine] {
        (byUser[userID] ?? []).compactMap { engines[$0] }
    }

    /// Up to `limit` of the user's engines, newest first, strictly below `before`: a seek, not a walk.
    func newest(userID: String, before: ListingKey?, limit: Int) -> [UserExecutionEngine] {
        (recency[userID]?.newest(before: before, limit: limit) ?? []).compactMap { engines[$0.key.id] }
    }
}

/// A bounded memory of cleaned engine ids (and their owners), so a repeated cleanup answers
/// "already cleaned" rather than "unknown", without a set that grows forever.
struct RecentlyCleaned {
    let capacity: Int
    private var owners: [String: String] = [:]
    private var order: [String] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    mutating func insert(engineID: String, userID: String) {
        guard capacity > 0 else { return }
        if order.count < capacity {
            order.append(engineID)
        } else {
            owners[order[next]] = nil
            order[next] = engineID
            next = (next + 1) % capacity
        }
        owners[engineID] = userID
    }

    func contains(engineID: String, userID: String) -> Bool {
        owners[engineID] == userID
    }
}
