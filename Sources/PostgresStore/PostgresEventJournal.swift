import ExecutionCore
import Logging
import PostgresClient

/// The event journal shared by every replica on one database (issue 13): each user's events
/// numbered by `event_counters` (strictly increasing, never reused across restarts and
/// replicas), kept in `events` for the retention period, folded into one `runs` record per run,
/// and announced by a NOTIFY on `isod_events` once committed. The table is the truth; the
/// notification is only a wake-up, after which a follower reads (`read`).
///
/// Each call is one statement through the pool (an append is one round trip however large its
/// batch); completions run on the pool's reactor thread.
public final class PostgresEventJournal: EventJournal {
    /// The channel every append NOTIFYs: `<last id> <unix microseconds> <user id>`.
    public static let channel = "isod_events"

    private let pool: PostgresPool
    /// Written into the records of the runs this replica appends for (`replica_lost` ends the
    /// live ones when this replica's lease runs out).
    public let replicaID: String
    private let logger: Logger

    public init(pool: PostgresPool, replicaID: String, logger: Logger) {
        self.pool = pool
        self.replicaID = replicaID
        self.logger = logger
    }

    public func append(_ batch: [JournalEntry], completion: @escaping @Sendable (Result<[UInt64], JournalError>) -> Void) {
        guard !batch.isEmpty else { return completion(.success([])) }
        let count = batch.count
        pool.execute(JournalStatements.append, JournalBatch.parameters(replicaID: replicaID, batch: batch)) { result in
            switch result {
            case .success(let answer):
                guard let text = answer.rows.first?[0], let ids = JournalBatch.ids(text), ids.count == count else {
                    return completion(.failure(JournalError("isod_append_events did not answer one id per event")))
                }
                completion(.success(ids))
            case .failure(let error):
                completion(.failure(JournalError("\(error)")))
            }
        }
    }

    public func read(userID: String, after: UInt64, limit: Int, executionID: String?,
                     completion: @escaping @Sendable (Result<JournalPage, JournalError>) -> Void) {
        var parameters: [PostgresValue] = [.text(userID), .int(Int64(clamping: after)), .int(Int64(max(0, limit)))]
        if let executionID { parameters.append(.text(executionID)) }
        pool.execute(executionID == nil ? JournalStatements.read : JournalStatements.readRun, parameters) { result in
            switch result {
            case .success(let answer):
                completion(JournalRows.page(answer, userID: userID))
            case .failure(let error):
                completion(.failure(JournalError("\(error)")))
            }
        }
    }

    public func follow(appended: @escaping @Sendable (_ userID: String, _ lastID: UInt64, _ committedAt: Timestamp?) -> Void,
                       resynchronize: @escaping @Sendable () -> Void) {
        let logger = logger
        pool.listen(channel: Self.channel, onListening: resynchronize) { payload in
            guard let notification = JournalNotification(payload) else {
                return logger.warning("ignored a malformed isod_events notification", metadata: ["payload": .string(payload)])
            }
            appended(notification.userID, notification.lastID, notification.committedAt)
        }
    }

    public func findRun(id executionID: String, userID: String,
                        completion: @escaping @Sendable (Result<RunSnapshot?, JournalError>) -> Void) {
        pool.execute(JournalStatements.findRun, [.text(executionID), .text(userID)]) { result in
            switch result {
            case .success(let answer):
                guard let row = answer.rows.first else { return completion(.success(nil)) }
                completion(JournalRows.run(row, executionID: executionID, userID: userID).map(Optional.some))
            case .failure(let error):
                completion(.failure(JournalError("\(error)")))
            }
        }
    }
}

/// An `isod_events` payload: `<last id> <unix microseconds> <user id>` (the user last, since it
/// may hold spaces).
struct JournalNotification: Equatable {
    var userID: String
    var lastID: UInt64
    var committedAt: Timestamp?

    init(userID: String, lastID: UInt64, committedAt: Timestamp?) {
        self.userID = userID
        self.lastID = lastID
        self.committedAt = committedAt
    }

    init?(_ payload: String) {
        let parts = payload.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let lastID = UInt64(parts[0]), !parts[2].isEmpty else { return nil }
        self.lastID = lastID
        self.userID = String(parts[2])
        let (nanoseconds, overflowed) = (Int64(parts[1]) ?? -1).multipliedReportingOverflow(by: 1_000)
        committedAt = nanoseconds >= 0 && !overflowed ? Timestamp(nanoseconds: nanoseconds) : nil
    }
}
