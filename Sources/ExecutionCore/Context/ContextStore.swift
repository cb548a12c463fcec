/// Where live contexts are kept, per user. The in-memory store is the embedded default; a shared
/// store (e.g. PostgreSQL) can implement the same few operations when replicas must agree.
///
/// Every lookup is scoped by user: another user's request id answers "not found", exactly like an
/// id that never existed.
public protocol ContextStore: Sendable {
    /// Keeps `context` until `expiresAt`, within the per-user and total bounds.
    func insert(_ context: UserExecutionContext, expiresAt: Timestamp, now: Timestamp) throws(ContextRegistryError)
    /// The user's live (unexpired at `now`) context with this request id.
    func context(requestID: String, userID: String, now: Timestamp) -> UserExecutionContext?
    /// The user's live contexts, oldest first.
    func contexts(userID: String, now: Timestamp) -> [UserExecutionContext]
    /// Up to `limit` of the user's live contexts, newest first (by `ListingKey`: created_at, then
    /// id), all strictly below `before` (nil: from the newest). A store should seek to `before`
    /// rather than walk what precedes it (the default below walks; `InMemoryContextStore` seeks).
    func contexts(userID: String, now: Timestamp, before: ListingKey?, limit: Int) -> [UserExecutionContext]
    /// Forgets the user's context; false when the user has no such context.
    func remove(requestID: String, userID: String) -> Bool
    /// Drops every context expired at `now`; returns how many.
    func removeExpired(now: Timestamp) -> Int
    /// How many contexts the user holds (expired ones not yet swept included).
    func count(userID: String) -> Int
    /// How many contexts are held in total.
    var totalCount: Int { get }
}

extension ContextStore {
    public func contexts(userID: String, now: Timestamp, before: ListingKey?, limit: Int) -> [UserExecutionContext] {
        let newestFirst = contexts(userID: userID, now: now).sorted { $0.listingKey > $1.listingKey }
        return Array(newestFirst.lazy.filter { context in before.map { context.listingKey < $0 } ?? true }.prefix(limit))
    }
}

/// Why a context could not be registered.
public enum ContextRegistryError: Error, Sendable, Equatable {
    /// The user already holds `limit` live contexts.
    case userLimitExceeded(limit: Int)
    /// The store holds its total bound of contexts.
    case totalLimitExceeded(limit: Int)
    /// Keeping it would pass the user's or the global budget of retained bytes.
    case budgetExceeded(BudgetRefusal)
}
