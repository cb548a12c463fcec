import Logging
import PostgresClient
import VisibleLocks

/// This replica's row in `replicas` and its lease (issue 13): registered at start, renewed every
/// third of `duration`, deleted on a clean stop. Each renewal also deletes every replica whose
/// lease ran out (a replica killed with -9, a host gone): their engine slots go with them
/// (`ON DELETE CASCADE`), so the others can use them, and their live runs end `replica_lost`
/// with one terminal event each (`isod_expire_replicas`). A replica starting under a name whose
/// runs are still live (a fixed name, a restart) ends them the same way when it registers.
///
/// `duration` bounds the time from a death to its slots' release: a row expires two thirds of
/// it after its last renewal (so one missed renewal is tolerated) and the others look every
/// third, so the release comes at most `duration` after the last renewal before the death.
///
/// If this replica's own row was deleted while it was alive (it was paused longer than its
/// lease), the renewal registers it again and puts its slots back.
public final class ReplicaLease: Sendable {
    public let replicaID: String
    public let duration: Duration
    private let pool: PostgresPool
    private let slots: PostgresEngineSlots?
    private let logger: Logger
    private let renewal = VisibleMutex<Task<Void, Never>?>(nil)

    public init(replicaID: String, duration: Duration, pool: PostgresPool, slots: PostgresEngineSlots?, logger: Logger) {
        self.replicaID = replicaID
        self.duration = duration
        self.pool = pool
        self.slots = slots
        self.logger = logger
    }

    /// How long a renewal keeps the row: two thirds of `duration`.
    private var milliseconds: Int64 { duration.milliseconds * 2 / 3 }

    /// Registers the replica (before it serves), then renews in the background.
    public func start() async throws(PostgresError) {
        _ = try await pool.run(StoreStatements.registerReplica, [.text(replicaID), .int(milliseconds)]).get()
        _ = try await pool.run(StoreStatements.clearReplicaSlots, [.text(replicaID)]).get()
        _ = try await pool.run(StoreStatements.endReplicaRuns, [.text(replicaID)]).get()
        let task = Task.detached { [self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: duration / 3) } catch { return }
                await renew()
            }
        }
        renewal.withLock { $0 = task }
    }

    /// One renewal: extend the lease (register again, with the slots, if the row is gone), then
    /// end the replicas whose leases ran out.
    func renew() async {
        switch await pool.run(StoreStatements.renewLease, [.text(replicaID), .int(milliseconds)]) {
        case .success(let renewed) where renewed.affectedRows == 0:
            logger.error("this replica's lease had run out and it was taken for dead; registering it again with its engine slots")
            _ = await pool.run(StoreStatements.registerReplica, [.text(replicaID), .int(milliseconds)])
            for (user, ids) in slots?.localSlots ?? [:] where !ids.isEmpty {
                let array = "{" + ids.map(String.init).joined(separator: ",") + "}"
                _ = await pool.run(StoreStatements.restoreSlots, [.text(array), .text(user), .text(replicaID)])
            }
        case .success:
            break
        case .failure(let error):
            logger.warning("could not renew this replica's lease", metadata: ["error": .string("\(error)")])
            return
        }
        if case .success(let expired) = await pool.run(StoreStatements.expireReplicas, []), !expired.rows.isEmpty {
            logger.notice("replicas whose lease ran out were removed with their engine slots; their live runs ended replica_lost",
                          metadata: ["replicas": .array(expired.rows.compactMap { $0[0] }.map { .string($0) })])
        }
    }

    /// Stops renewing and deletes the replica's row (its slots with it): a clean stop.
    public func stop() async {
        renewal.withLock { $0 }?.cancel()
        _ = await pool.run(StoreStatements.leaveReplica, [.text(replicaID)])
    }
}
