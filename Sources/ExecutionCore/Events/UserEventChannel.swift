import Synchronization

/// One user's log and subscribers behind that user's own lock: users never contend with each
/// other, and a publish and a subscribe of the same user are strictly ordered (that order is
/// what makes the replay → live seam exact).
final class UserEventChannel: Sendable {
    struct State {
        var log: any EventLog
        var subscribers: [EventSubscription] = []
        /// The last publish, subscribe or unsubscribe: the idle-eviction clock.
        var lastActivity: Timestamp
        /// Evicted from its shard: a caller holding this reference must look the user up again.
        var retired = false
    }

    let userID: String
    let state: VisibleMutex<State>
    /// Encoded identity prefixes of this user's recent runs, newest first (a few at most).
    private let prefixes = VisibleMutex<[EnvelopePrefix]>([])
    private static let prefixCacheSize = 4

    init(userID: String, log: any EventLog, now: Timestamp) {
        self.userID = userID
        self.state = VisibleMutex(State(log: log, lastActivity: now))
    }

    /// The envelope prefix for `draft`'s run identity, from the cache or freshly encoded.
    func prefix(for draft: EventDraft) -> [UInt8] {
        if let cached = prefixes.withLock({ cache in cache.first { $0.matches(draft) } }) { return cached.bytes }
        let made = EnvelopePrefix(draft)
        prefixes.withLock { cache in
            cache.insert(made, at: 0)
            if cache.count > Self.prefixCacheSize { cache.removeLast() }
        }
        return made.bytes
    }

    /// Removes `subscription` if it is still registered; returns whether it was.
    func remove(_ subscription: EventSubscription, now: Timestamp) -> Bool {
        state.withLock { state in
            guard let index = state.subscribers.firstIndex(where: { $0 === subscription }) else { return false }
            state.subscribers.swapAt(index, state.subscribers.count - 1)
            state.subscribers.removeLast()
            state.lastActivity = max(state.lastActivity, now)
            return true
        }
    }
}
