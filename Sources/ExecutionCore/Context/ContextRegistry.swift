import Synchronization
import VisibleLocks

/// Live contexts, owned per user: a `ContextStore` (bounded per user and in total) plus a TTL and
/// a background sweep that drops expired contexts every `sweepInterval` on the injected clock.
public final class ContextRegistry: Sendable {
    public let store: any ContextStore
    /// How long a registered context lives.
    public let ttl: Duration
    private let clock: any ExecutionClock
    private let sweeper: VisibleMutex<PeriodicTask?> = VisibleMutex(nil)
    private let sweeps = Atomic<Int>(0)

    /// - Parameter sweepInterval: how often expired contexts are dropped in the background; nil
    ///   starts no background sweep (call `sweepExpired()` yourself).
    public init(store: any ContextStore = InMemoryContextStore(), ttl: Duration = .seconds(3600),
                clock: any ExecutionClock = SystemClock(), sweepInterval: Duration? = .seconds(60)) {
        self.store = store
        self.ttl = ttl.clampedForDeadlines
        self.clock = clock
        if let sweepInterval, sweepInterval > .zero {
            let task = PeriodicTask(clock: clock, interval: sweepInterval) { [weak self] in
                guard let self else { return false }
                self.sweepExpired()
                return true
            }
            sweeper.withLock { $0 = task }
        }
    }

    /// Keeps `context` for `ttl`. Refused past the per-user or total bound.
    public func register(_ context: UserExecutionContext) throws(ContextRegistryError) {
        let now = clock.now()
        try store.insert(context, expiresAt: now + ttl, now: now)
    }

    /// The user's context with this request id; nil when unknown, expired or another user's.
    public func context(requestID: String, userID: String) -> UserExecutionContext? {
        store.context(requestID: requestID, userID: userID, now: clock.now())
    }

    /// The user's live contexts, oldest first.
    public func contexts(userID: String) -> [UserExecutionContext] {
        store.contexts(userID: userID, now: clock.now())
    }

    /// One page of the user's live contexts, newest first, starting strictly below `before`.
    public func contexts(userID: String, before: ListingKey?, limit: Int) -> ListingPage<UserExecutionContext> {
        let found = store.contexts(userID: userID, now: clock.now(), before: before, limit: max(1, limit) + 1)
        return ListingPage(probing: found, limit: max(1, limit), key: \.listingKey)
    }

    /// Forgets the user's context; false when the user has no such context.
    @discardableResult
    public func remove(requestID: String, userID: String) -> Bool {
        store.remove(requestID: requestID, userID: userID)
    }

    /// Forgets the user's context and every live context descended from it (children made for
    /// sub-agents, their children, ...): a sub-agent's context does not outlive the work it was
    /// made for. Returns the request ids removed, the context's own first; nil when the user has
    /// no such context.
    public func removeWithDescendants(requestID: String, userID: String) -> [String]? {
        var childrenOf: [String: [String]] = [:]
        for context in contexts(userID: userID) {
            if let parent = context.parentRequestID { childrenOf[parent, default: []].append(context.requestID) }
        }
        guard remove(requestID: requestID, userID: userID) else { return nil }
        var removed = [requestID]
        var index = 0
        while index < removed.count {
            for child in childrenOf[removed[index]] ?? [] where remove(requestID: child, userID: userID) {
                removed.append(child)
            }
            index += 1
        }
        return removed
    }

    public func count(userID: String) -> Int { store.count(userID: userID) }
    public var totalCount: Int { store.totalCount }

    /// Sweeps that have completed (background or explicit), for metrics and tests.
    public var completedSweeps: Int { sweeps.load(ordering: .acquiring) }

    /// Drops every expired context now; returns how many.
    @discardableResult
    public func sweepExpired() -> Int {
        let removed = store.removeExpired(now: clock.now())
        sweeps.add(1, ordering: .releasing)
        return removed
    }

    /// Stops the background sweep and waits for it.
    public func shutdown() async {
        await sweeper.withLock { $0 }?.stop()
    }

    deinit { sweeper.withLock { $0 }?.cancel() }
}
