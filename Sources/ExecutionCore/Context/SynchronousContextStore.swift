/// A `ContextStore` that answers at once, in the caller's thread (the in-memory store): it has
/// the plain synchronous operations, and the completion forms call them inline, so a route
/// on the embedded default never waits nor defers its answer.
public protocol SynchronousContextStore: ContextStore {
    func insert(_ context: UserExecutionContext, expiresAt: Timestamp, now: Timestamp) throws(ContextRegistryError)
    /// The user's live (unexpired at `now`) context with this request id.
    func context(requestID: String, userID: String, now: Timestamp) -> UserExecutionContext?
    /// The user's live contexts, oldest first.
    func contexts(userID: String, now: Timestamp) -> [UserExecutionContext]
    /// Up to `limit` of the user's live contexts, newest first, strictly below `before`. A store
    /// should seek to `before` rather than walk what precedes it (the default below walks;
    /// `InMemoryContextStore` seeks).
    func contexts(userID: String, now: Timestamp, before: ListingKey?, limit: Int) -> [UserExecutionContext]
    /// Forgets the user's context; false when the user has no such context.
    func remove(requestID: String, userID: String) -> Bool
    /// How many contexts the user holds (expired ones not yet swept included).
    func count(userID: String) -> Int
}

extension SynchronousContextStore {
    public func contexts(userID: String, now: Timestamp, before: ListingKey?, limit: Int) -> [UserExecutionContext] {
        let newestFirst = contexts(userID: userID, now: now).sorted { $0.listingKey > $1.listingKey }
        return Array(newestFirst.lazy.filter { context in before.map { context.listingKey < $0 } ?? true }.prefix(limit))
    }

    /// The context and its live descendants (children made for sub-agents, their children, ...),
    /// the context's own id first; nil when the user has no such context.
    public func removeWithDescendants(requestID: String, userID: String, now: Timestamp) -> [String]? {
        var childrenOf: [String: [String]] = [:]
        for context in contexts(userID: userID, now: now) {
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

    // The completion forms, answered inline.

    public func insert(_ context: UserExecutionContext, expiresAt: Timestamp, now: Timestamp,
                       completion: @escaping @Sendable (Result<Void, ContextRegistryError>) -> Void) {
        completion(Result { () throws(ContextRegistryError) in try insert(context, expiresAt: expiresAt, now: now) })
    }

    public func context(requestID: String, userID: String, now: Timestamp,
                        completion: @escaping @Sendable (Result<UserExecutionContext?, ContextStoreUnavailable>) -> Void) {
        completion(.success(context(requestID: requestID, userID: userID, now: now)))
    }

    public func contexts(userID: String, now: Timestamp, before: ListingKey?, limit: Int,
                         completion: @escaping @Sendable (Result<[UserExecutionContext], ContextStoreUnavailable>) -> Void) {
        completion(.success(contexts(userID: userID, now: now, before: before, limit: limit)))
    }

    public func removeWithDescendants(requestID: String, userID: String, now: Timestamp,
                                      completion: @escaping @Sendable (Result<[String]?, ContextStoreUnavailable>) -> Void) {
        completion(.success(removeWithDescendants(requestID: requestID, userID: userID, now: now)))
    }

    public func count(userID: String, completion: @escaping @Sendable (Result<Int, ContextStoreUnavailable>) -> Void) {
        completion(.success(count(userID: userID)))
    }
}
