import ExecutionCore
import PostgresClient
import VisibleLocks

/// Context inserts of this replica, sent in batches: at most `maxInFlight` batches in flight,
/// and every insert that arrives meanwhile waits for the next (at most `maxBatch` per
/// statement). Under load the batches grow by themselves; one insert alone goes at once. Two in
/// flight let a batch's own work (unpacking, parsing its documents) overlap the one holding the
/// lock. `isod_insert_contexts` decides a
/// batch under one lock and one commit, in order, as if each insert had been its own request.
///
/// Why: every insert takes the same transaction lock (the total bound is exact), so separate
/// inserts queue on it one commit after another; a batch pays for the lock, the statement and
/// the commit once.
final class ContextInsertBatches: Sendable {
    static let maxBatch = 256
    static let maxInFlight = 2
    typealias Completion = @Sendable (Result<String, PostgresError>) -> Void

    struct Insert {
        let context: UserExecutionContext
        let storedJSON: [UInt8]
        let expiresAt: Timestamp
        let now: Timestamp
        let completion: Completion
    }

    private struct Queue {
        var waiting: [Insert] = []
        var inFlight = 0
    }
    private let queue = VisibleMutex(Queue())
    private let pool: PostgresPool
    private let maxPerUser: Int
    private let maxTotal: Int

    init(pool: PostgresPool, maxPerUser: Int, maxTotal: Int) {
        self.pool = pool
        self.maxPerUser = maxPerUser
        self.maxTotal = maxTotal
    }

    /// Queues one insert; `completion` gets its outcome word (`inserted`, `refreshed`,
    /// `user_limit`, `total_limit`).
    func submit(_ insert: Insert) {
        queue.withLock { $0.waiting.append(insert) }
        sendWaiting()
    }

    private func sendWaiting() {
        let batch = queue.withLock { queue -> [Insert] in
            guard queue.inFlight < Self.maxInFlight, !queue.waiting.isEmpty else { return [] }
            queue.inFlight += 1
            let count = min(Self.maxBatch, queue.waiting.count)
            defer { queue.waiting.removeFirst(count) }
            return Array(queue.waiting.prefix(count))
        }
        guard !batch.isEmpty else { return }
        pool.execute(ContextStatements.insertBatch, parameters(batch)) { [self] result in
            // The next batch leaves before this one's answers are handed out.
            queue.withLock { $0.inFlight -= 1 }
            sendWaiting()
            switch result {
            case .success(let answer):
                var outcomes = [String?](repeating: nil, count: batch.count)
                for row in answer.rows {
                    if let position = row.int(0), position >= 1, Int(position) <= batch.count { outcomes[Int(position) - 1] = row[1] }
                }
                for (insert, outcome) in zip(batch, outcomes) {
                    insert.completion(outcome.map { .success($0) }
                        ?? .failure(.server(sqlState: "", message: "isod_insert_contexts gave no outcome for an insert")))
                }
            case .failure(let error):
                for insert in batch { insert.completion(.failure(error)) }
            }
        }
    }

    private func parameters(_ batch: [Insert]) -> [PostgresValue] {
        var users = BinaryArrayColumn(.text, count: batch.count, capacity: batch.count * 16)
        var requests = BinaryArrayColumn(.text, count: batch.count, capacity: batch.count * 40)
        var documents = BinaryArrayColumn(.text, count: batch.count, capacity: batch.reduce(0) { $0 + $1.storedJSON.count })
        var parents = BinaryArrayColumn(.text, count: batch.count, capacity: batch.count * 40)
        var created = BinaryArrayColumn(.int8, count: batch.count)
        var expires = BinaryArrayColumn(.int8, count: batch.count)
        for insert in batch {
            users.append(insert.context.userID)
            requests.append(insert.context.requestID)
            documents.append(utf8: insert.storedJSON)
            parents.append(insert.context.parentRequestID)
            created.append(insert.context.createdAt.nanoseconds)
            expires.append(insert.expiresAt.nanoseconds)
        }
        // One `now` for the batch: the newest, so no insert sees a context as live that its own
        // request would have found expired.
        let now = batch.map(\.now.nanoseconds).max() ?? 0
        return [.bytes(users.bytes), .bytes(requests.bytes), .bytes(documents.bytes), .bytes(parents.bytes),
                .bytes(created.bytes), .bytes(expires.bytes), .int(now), .int(Int64(maxPerUser)), .int(Int64(maxTotal))]
    }
}
