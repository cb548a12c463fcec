import ExecutionCore
import Logging
import PostgresClient
import Synchronization

/// Idempotency keys shared by every replica and kept across restarts (issue 13): `begin` is one
/// call of `isod_idempotency_begin`, which reserves the key or reports what is already there in
/// one statement. A request that was running on a replica that died no longer holds its key:
/// the next `begin` takes it over. Expired keys are deleted in bounded batches by `sweep`.
///
/// Nothing is kept in this process's memory, so nothing is charged to the users' budgets here.
public final class PostgresIdempotencyStore: IdempotencyStore {
    private let pool: PostgresPool
    private let replicaID: String
    private let ttl: Duration
    private let maxKeysPerUser: Int
    private let logger: Logger
    /// Rows counted by the last `sweep` (for metrics; the table is the truth).
    private let lastCount = Atomic<Int>(0)
    /// Expired rows deleted per statement, so retention never holds long locks.
    static let expiryBatch = 1_000

    public init(pool: PostgresPool, replicaID: String, ttl: Duration, maxKeysPerUser: Int, logger: Logger) {
        self.pool = pool
        self.replicaID = replicaID
        self.ttl = ttl
        self.maxKeysPerUser = max(1, maxKeysPerUser)
        self.logger = logger
    }

    private var ttlMilliseconds: Int64 { ttl.milliseconds }

    public func begin(userID: String, key: String, fingerprint: [UInt8], now: Timestamp,
                      completion: @escaping @Sendable (IdempotencyDecision) -> Void) {
        let parameters: [PostgresValue] = [.text(userID), .text(key), .bytes(fingerprint), .int(ttlMilliseconds),
                                           .text(replicaID), .int(Int64(maxKeysPerUser))]
        pool.execute(StoreStatements.idempotencyBegin, parameters) { result in
            switch result {
            case .success(let answer):
                guard let row = answer.rows.first, let outcome = row[0] else {
                    return completion(.unavailable(reason: "isod_idempotency_begin returned no row"))
                }
                switch outcome {
                case "proceed": completion(.proceed)
                case "in_progress": completion(.inProgress)
                case "mismatch": completion(.fingerprintMismatch)
                case "replay":
                    guard let payload = row.bytes(1) else { return completion(.unavailable(reason: "a stored answer could not be read")) }
                    completion(.replay(payload: payload))
                default: completion(.unavailable(reason: "isod_idempotency_begin answered \(outcome)"))
                }
            case .failure(let error):
                completion(.unavailable(reason: "\(error)"))
            }
        }
    }

    public func complete(userID: String, key: String, payload: [UInt8], now: Timestamp,
                         stored: @escaping @Sendable () -> Void) {
        pool.execute(StoreStatements.idempotencyComplete, [.text(userID), .text(key), .bytes(payload), .int(ttlMilliseconds)]) {
            [logger] result in
            if case .failure(let error) = result {
                logger.warning("could not store a request's answer for its Idempotency-Key; a retry gets 409 until the key is released or expires",
                               metadata: ["error": .string("\(error)")])
            }
            stored()
        }
    }

    public func release(userID: String, key: String) {
        write(StoreStatements.idempotencyRelease, [.text(userID), .text(key)],
              failure: "could not release an Idempotency-Key; a retry gets 409 until it expires")
    }

    private func write(_ statement: PreparedStatement, _ parameters: [PostgresValue], failure message: String) {
        pool.execute(statement, parameters) { [logger] result in
            if case .failure(let error) = result {
                logger.warning("\(message)", metadata: ["error": .string("\(error)")])
            }
        }
    }

    /// Starts deleting expired keys, one bounded batch per statement until none is left, and
    /// refreshes the count; returns at once (0: the work is done in the background).
    @discardableResult public func sweep(now: Timestamp) -> Int {
        expireBatch()
        return 0
    }

    private func expireBatch() {
        pool.execute(StoreStatements.idempotencyExpire, [.int(Int64(Self.expiryBatch))]) { [self] result in
            if case .success(let deleted) = result, deleted.affectedRows == Self.expiryBatch { return expireBatch() }
            pool.execute(StoreStatements.idempotencyCount, []) { [self] result in
                if case .success(let rows) = result, let count = rows.rows.first?.int(0) {
                    lastCount.store(Int(count), ordering: .relaxed)
                }
            }
        }
    }

    public var count: Int { lastCount.load(ordering: .relaxed) }
}
