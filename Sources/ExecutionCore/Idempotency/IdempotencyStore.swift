/// What to do with a request that carries an idempotency key.
public enum IdempotencyDecision: Sendable, Equatable {
    /// First time this key is seen (or it expired): the key is now reserved for this request;
    /// call `complete` with its outcome, or `release` if the outcome must not be remembered.
    case proceed
    /// The same key and the same request fingerprint completed before: answer this again.
    case replay(payload: [UInt8])
    /// The same key is still being processed by an earlier request.
    case inProgress
    /// The same key was used with a different request.
    case fingerprintMismatch
    /// Keeping the key would pass the user's or the global budget of retained bytes; nothing was
    /// reserved and the request must not run.
    case budgetExceeded(BudgetRefusal)
    /// The shared store (the database) cannot be reached: nothing was reserved and the request
    /// must not run (it could not be made idempotent).
    case unavailable(reason: String)
}

/// Remembers the outcome of keyed requests per user, so a client retry never creates a second
/// resource (SPEC.md §7). Keys are scoped per user: two users may use the same key freely.
/// A narrow protocol so a shared store (PostgreSQL) can replace the in-memory one.
///
/// `begin` answers through `completion` because a shared store answers after a round trip and
/// no caller may block a loop on it; the in-memory store calls it before returning.
/// `release` returns at once (a shared store writes it in the background); `complete` tells
/// when the outcome is stored.
public protocol IdempotencyStore: Sendable {
    /// `fingerprint` identifies the request (e.g. a digest of method, route and body).
    /// `completion` is called once.
    func begin(userID: String, key: String, fingerprint: [UInt8], now: Timestamp,
               completion: @escaping @Sendable (IdempotencyDecision) -> Void)
    /// Stores the outcome of a request that `begin` let proceed. `payload` is opaque to the core.
    /// `stored` runs once the outcome is kept where every replica sees it (the caller answers
    /// the client only then, so a retry anywhere is replayed, not refused as in progress); it
    /// runs whether or not the write succeeded (a failure is the store's to log).
    func complete(userID: String, key: String, payload: [UInt8], now: Timestamp,
                  stored: @escaping @Sendable () -> Void)
    /// Forgets a reservation whose outcome must not be replayed (a transient failure).
    func release(userID: String, key: String)
    /// Drops expired entries; returns how many.
    @discardableResult func sweep(now: Timestamp) -> Int
    /// Entries currently held (for metrics).
    var count: Int { get }
}
