import ExecutionCore
import Logging
import PostgresClient
import Synchronization

/// Execution contexts shared by every replica on one database (issue 13): a context made on
/// one replica is read, listed, used for an engine and deleted on any other, and outlives a
/// restart. Each operation is one statement, answered through its completion on the pool's
/// reactor; nothing waits on a loop.
///
/// The bounds are decided by `isod_insert_context` under one transaction lock; expiry uses the
/// `now` the core passes (its clock), so a replica's TTL means what it means in memory. The
/// stored document is `UserExecutionContext.storedJSON`. Retained bytes are not charged to the
/// process's ledger: the rows live in the database, not in this process.
public final class PostgresContextStore: ContextStore {
    private let pool: PostgresPool
    public let maxPerUser: Int
    public let maxTotal: Int
    private let logger: Logger
    /// Inserts go in batches, one in flight (`isod_insert_contexts`).
    private let inserts: ContextInsertBatches
    /// The total as of the last sweep (a count of the table; the table is the truth).
    private let lastTotal = Atomic<Int>(0)
    /// Expired rows deleted per statement, so a sweep never holds long locks.
    static let expiryBatch = 1_000

    public init(pool: PostgresPool, maxPerUser: Int, maxTotal: Int, logger: Logger) {
        self.pool = pool
        self.maxPerUser = max(1, maxPerUser)
        self.maxTotal = max(1, maxTotal)
        self.logger = logger
        self.inserts = ContextInsertBatches(pool: pool, maxPerUser: self.maxPerUser, maxTotal: self.maxTotal)
    }

    public func insert(_ context: UserExecutionContext, expiresAt: Timestamp, now: Timestamp,
                       completion: @escaping @Sendable (Result<Void, ContextRegistryError>) -> Void) {
        let (maxPerUser, maxTotal) = (maxPerUser, maxTotal)
        inserts.submit(.init(context: context, storedJSON: context.storedJSON, expiresAt: expiresAt, now: now) { result in
            switch result {
            case .success("inserted"), .success("refreshed"): completion(.success(()))
            case .success("user_limit"): completion(.failure(.userLimitExceeded(limit: maxPerUser)))
            case .success("total_limit"): completion(.failure(.totalLimitExceeded(limit: maxTotal)))
            case .success(let other): completion(.failure(.unavailable(reason: "isod_insert_contexts answered \(other)")))
            case .failure(let error): completion(.failure(.unavailable(reason: "\(error)")))
            }
        })
    }

    public func context(requestID: String, userID: String, now: Timestamp,
                        completion: @escaping @Sendable (Result<UserExecutionContext?, ContextStoreUnavailable>) -> Void) {
        pool.execute(ContextStatements.lookup, [.text(userID), .text(requestID), .int(now.nanoseconds)]) { result in
            completion(Self.decoded(result).map(\.first))
        }
    }

    public func contexts(userID: String, now: Timestamp, before: ListingKey?, limit: Int,
                         completion: @escaping @Sendable (Result<[UserExecutionContext], ContextStoreUnavailable>) -> Void) {
        let parameters: [PostgresValue] = [
            .text(userID), .int(now.nanoseconds), before.map { .int($0.createdAt.nanoseconds) } ?? .null,
            before.map { .text($0.id) } ?? .null, .int(Int64(max(0, limit))),
        ]
        pool.execute(ContextStatements.page, parameters) { result in completion(Self.decoded(result)) }
    }

    public func removeWithDescendants(requestID: String, userID: String, now: Timestamp,
                                      completion: @escaping @Sendable (Result<[String]?, ContextStoreUnavailable>) -> Void) {
        pool.execute(ContextStatements.removeWithDescendants, [.text(userID), .text(requestID)]) { result in
            switch result {
            case .success(let answer):
                let removed = answer.rows.compactMap { row in row[0].map { (id: $0, depth: row.int(1) ?? 0) } }
                    .sorted { $0.depth < $1.depth }.map(\.id)
                // The context's own id first (depth 0); none when it was not there.
                completion(.success(removed.first == requestID ? removed : nil))
            case .failure(let error):
                completion(.failure(ContextStoreUnavailable(reason: "\(error)")))
            }
        }
    }

    public func count(userID: String, completion: @escaping @Sendable (Result<Int, ContextStoreUnavailable>) -> Void) {
        pool.execute(ContextStatements.countForUser, [.text(userID)]) { result in
            switch result {
            case .success(let answer): completion(.success(Int(answer.rows.first?.int(0) ?? 0)))
            case .failure(let error): completion(.failure(ContextStoreUnavailable(reason: "\(error)")))
            }
        }
    }

    /// Starts deleting contexts expired at `now`, one bounded batch per statement until none is
    /// left, then refreshes `totalCount`; returns at once (0: the work is done in the background).
    public func removeExpired(now: Timestamp) -> Int {
        expireBatch(now: now)
        return 0
    }

    private func expireBatch(now: Timestamp) {
        pool.execute(ContextStatements.expire, [.int(now.nanoseconds), .int(Int64(Self.expiryBatch))]) { [self] result in
            switch result {
            case .success(let deleted) where deleted.rows.first?.int(0) == Int64(Self.expiryBatch):
                return expireBatch(now: now)
            case .failure(let error):
                logger.warning("could not delete expired contexts; the next sweep tries again", metadata: ["error": .string("\(error)")])
            case .success:
                break
            }
            pool.execute(ContextStatements.countAll, []) { [self] result in
                if case .success(let rows) = result, let count = rows.rows.first?.int(0) {
                    lastTotal.store(Int(count), ordering: .relaxed)
                }
            }
        }
    }

    public var totalCount: Int { lastTotal.load(ordering: .relaxed) }

    /// The contexts in `result`'s first column; a document that does not decode is a failure
    /// (it was not written by this service), not a missing context.
    private static func decoded(_ result: Result<PostgresResult, PostgresError>) -> Result<[UserExecutionContext], ContextStoreUnavailable> {
        switch result {
        case .success(let answer):
            var contexts: [UserExecutionContext] = []
            contexts.reserveCapacity(answer.rows.count)
            for row in answer.rows {
                guard let text = row[0], let context = UserExecutionContext(storedJSON: Array(text.utf8)) else {
                    return .failure(ContextStoreUnavailable(reason: "a stored context could not be decoded"))
                }
                contexts.append(context)
            }
            return .success(contexts)
        case .failure(let error):
            return .failure(ContextStoreUnavailable(reason: "\(error)"))
        }
    }
}
