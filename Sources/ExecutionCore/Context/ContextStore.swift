/// Where live contexts are kept, per user. The in-memory store is the embedded default; a shared
/// store (PostgreSQL, issue 13) implements the same operations when replicas must agree.
///
/// Every operation the routes need answers through a completion, so a store that needs a round
/// trip never blocks a loop; a store that answers at once calls it inline (see
/// `SynchronousContextStore`). A completion is called exactly once. A failure
/// (`ContextStoreUnavailable`) means nothing is known: the store could not be asked.
///
/// Every lookup is scoped by user: another user's request id answers "not found", exactly like an
/// id that never existed.
public protocol ContextStore: Sendable {
    /// Keeps `context` until `expiresAt`, within the per-user and total bounds; registering the
    /// same context again only refreshes its expiry.
    func insert(_ context: UserExecutionContext, expiresAt: Timestamp, now: Timestamp,
                completion: @escaping @Sendable (Result<Void, ContextRegistryError>) -> Void)
    /// The user's live (unexpired at `now`) context with this request id, nil when there is none.
    func context(requestID: String, userID: String, now: Timestamp,
                 completion: @escaping @Sendable (Result<UserExecutionContext?, ContextStoreUnavailable>) -> Void)
    /// Up to `limit` of the user's live contexts, newest first (by `ListingKey`: created_at, then
    /// id), all strictly below `before` (nil: from the newest).
    func contexts(userID: String, now: Timestamp, before: ListingKey?, limit: Int,
                  completion: @escaping @Sendable (Result<[UserExecutionContext], ContextStoreUnavailable>) -> Void)
    /// Forgets the user's context and every context descended from it; the request ids removed,
    /// the context's own first; nil when the user has no such context.
    func removeWithDescendants(requestID: String, userID: String, now: Timestamp,
                               completion: @escaping @Sendable (Result<[String]?, ContextStoreUnavailable>) -> Void)
    /// How many contexts the user holds (expired ones not yet swept included).
    func count(userID: String, completion: @escaping @Sendable (Result<Int, ContextStoreUnavailable>) -> Void)
    /// Drops contexts expired at `now`; returns how many (a store that deletes in the background
    /// returns 0 and does the work after returning).
    func removeExpired(now: Timestamp) -> Int
    /// How many contexts are held in total (a shared store: as of its last sweep).
    var totalCount: Int { get }
}

/// The store could not be asked (a shared store's database is unreachable, a statement failed):
/// nothing was read or changed that the caller can rely on.
public struct ContextStoreUnavailable: Error, Sendable, Equatable {
    public let reason: String
    public init(reason: String) { self.reason = reason }
}

/// Why a context could not be registered.
public enum ContextRegistryError: Error, Sendable, Equatable {
    /// The user already holds `limit` live contexts.
    case userLimitExceeded(limit: Int)
    /// The store holds its total bound of contexts.
    case totalLimitExceeded(limit: Int)
    /// Keeping it would pass the user's or the global budget of retained bytes.
    case budgetExceeded(BudgetRefusal)
    /// A shared store could not be asked; nothing was registered.
    case unavailable(reason: String)
}
