import Synchronization
import VisibleLocks

/// Live contexts, owned per user: a `ContextStore` (bounded per user and in total) plus a TTL and
/// a background sweep that drops expired contexts every `sweepInterval` on the injected clock.
public final class ContextRegistry: Sendable {
    public let store: any ContextStore
    /// How long a registered context lives.
    public let ttl: Duration
    /// Whether the store answers at once (the in-memory one): a GET route then reads it directly,
    /// exactly as fast as before shared stores, instead of through a completion.
    public var answersInline: Bool { inline != nil }
    /// `store` as a store that answers at once, cast once here rather than on every call.
    private let inline: (any SynchronousContextStore)?
    private let clock: any ExecutionClock
    private let sweeper: VisibleMutex<PeriodicTask?> = VisibleMutex(nil)
    private let sweeps = Atomic<Int>(0)

    /// - Parameter sweepInterval: how often expired contexts are dropped in the background; nil
    ///   starts no background sweep (call `sweepExpired()` yourself).
    public init(store: any ContextStore = InMemoryContextStore(), ttl: Duration = .seconds(3600),
                clock: any ExecutionClock = SystemClock(), sweepInterval: Duration? = .seconds(60)) {
        self.store = store
        inline = store as? any SynchronousContextStore
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

    /// The store when it answers at once (the in-memory one): the synchronous API below needs it.
    private var local: any SynchronousContextStore {
        guard let local = inline else {
            preconditionFailure("the synchronous ContextRegistry API needs a store that answers at once; use the completion forms")
        }
        return local
    }

    // MARK: completion forms (any store; what the routes use)

    /// Keeps `context` for `ttl`. Refused past the per-user or total bound.
    public func register(_ context: UserExecutionContext,
                         completion: @escaping @Sendable (Result<Void, ContextRegistryError>) -> Void) {
        let now = clock.now()
        store.insert(context, expiresAt: now + ttl, now: now, completion: completion)
    }

    /// The user's context with this request id; nil when unknown, expired or another user's.
    public func context(requestID: String, userID: String,
                        completion: @escaping @Sendable (Result<UserExecutionContext?, ContextStoreUnavailable>) -> Void) {
        store.context(requestID: requestID, userID: userID, now: clock.now(), completion: completion)
    }

    /// One page of the user's live contexts, newest first, starting strictly below `before`.
    public func contexts(userID: String, before: ListingKey?, limit: Int,
                         completion: @escaping @Sendable (Result<ListingPage<UserExecutionContext>, ContextStoreUnavailable>) -> Void) {
        let limit = max(1, limit)
        store.contexts(userID: userID, now: clock.now(), before: before, limit: limit + 1) { result in
            completion(result.map { ListingPage(probing: $0, limit: limit, key: \.listingKey) })
        }
    }

    /// Forgets the user's context and every context descended from it (see the synchronous form).
    public func removeWithDescendants(requestID: String, userID: String,
                                      completion: @escaping @Sendable (Result<[String]?, ContextStoreUnavailable>) -> Void) {
        store.removeWithDescendants(requestID: requestID, userID: userID, now: clock.now(), completion: completion)
    }

    public func count(userID: String, completion: @escaping @Sendable (Result<Int, ContextStoreUnavailable>) -> Void) {
        store.count(userID: userID, completion: completion)
    }

    // MARK: synchronous forms (a store that answers at once: the in-memory default)

    /// Keeps `context` for `ttl`. Refused past the per-user or total bound.
    public func register(_ context: UserExecutionContext) throws(ContextRegistryError) {
        let now = clock.now()
        try local.insert(context, expiresAt: now + ttl, now: now)
    }

    /// The user's context with this request id; nil when unknown, expired or another user's.
    public func context(requestID: String, userID: String) -> UserExecutionContext? {
        local.context(requestID: requestID, userID: userID, now: clock.now())
    }

    /// The user's live contexts, oldest first.
    public func contexts(userID: String) -> [UserExecutionContext] {
        local.contexts(userID: userID, now: clock.now())
    }

    /// One page of the user's live contexts, newest first, starting strictly below `before`.
    public func contexts(userID: String, before: ListingKey?, limit: Int) -> ListingPage<UserExecutionContext> {
        let found = local.contexts(userID: userID, now: clock.now(), before: before, limit: max(1, limit) + 1)
        return ListingPage(probing: found, limit: max(1, limit), key: \.listingKey)
    }

    /// Forgets the user's context; false when the user has no such context.
    @discardableResult
    public func remove(requestID: String, userID: String) -> Bool {
        local.remove(requestID: requestID, userID: userID)
    }

    /// Forgets the user's context and every live context descended from it (children made for
    /// sub-agents, their children, ...): a sub-agent's context does not outlive the work it was
    /// made for. Returns the request ids removed, the context's own first; nil when the user has
    /// no such context.
    public func removeWithDescendants(requestID: String, userID: String) -> [String]? {
        local.removeWithDescendants(requestID: requestID, userID: userID, now: clock.now())
    }

    public func count(userID: String) -> Int { local.count(userID: userID) }
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
