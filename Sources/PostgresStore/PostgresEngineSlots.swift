import ExecutionCore
import Logging
import PostgresClient
import VisibleLocks

/// Engine slots shared by every replica on one database (issue 13): a reservation is one call
/// of `isod_reserve_slot`, which decides under one transaction lock, so the per-user and global
/// limits hold across replicas with no window where two replicas take the last slot.
///
/// Each slot row names the replica that holds it: when a replica dies, its lease runs out and
/// the others delete it with its slots (`ReplicaLease`). This replica also counts its own slots
/// per user, for `held`, the metrics, and to put them back if its lease was ever taken away
/// while it was alive (a long pause).
public final class PostgresEngineSlots: EngineSlotAccounting {
    private let pool: PostgresPool
    private let replicaID: String
    private let logger: Logger
    /// This replica's slots per user (granted and not yet released), by their ids in the table.
    private let local = VisibleMutex<[String: [Int64]]>([:])

    public init(pool: PostgresPool, replicaID: String, logger: Logger) {
        self.pool = pool
        self.replicaID = replicaID
        self.logger = logger
    }

    public func reserve(userID: String, userLimit: Int, globalLimit: Int,
                        completion: @escaping @Sendable (SlotReservation) -> Void) {
        let parameters: [PostgresValue] = [.text(userID), .text(replicaID), .int(Int64(userLimit)), .int(Int64(globalLimit))]
        pool.execute(StoreStatements.reserveSlot, parameters) { [self] result in
            switch result {
            case .success(let rows):
                guard let row = rows.rows.first, let outcome = row[0] else {
                    return completion(.unavailable(reason: "isod_reserve_slot returned no row"))
                }
                switch outcome {
                case "reserved":
                    guard let slot = row.int(2) else { return completion(.unavailable(reason: "isod_reserve_slot returned no slot id")) }
                    local.withLock { $0[userID, default: []].append(slot) }
                    completion(.reserved)
                case "user_limit":
                    completion(.userLimitReached(held: Int(row.int(1) ?? Int64(userLimit))))
                default:
                    completion(.globalLimitReached)
                }
            case .failure(let error):
                completion(.unavailable(reason: "\(error)"))
            }
        }
    }

    /// Gives the slot back in the background. A failed delete is logged: the row stays until
    /// this replica's lease ends, when it goes with the replica.
    public func release(userID: String) -> Bool {
        let slot = local.withLock { slots -> Int64? in
            guard var held = slots[userID], let slot = held.popLast() else { return nil }
            slots[userID] = held.isEmpty ? nil : held
            return slot
        }
        guard let slot else { return false }
        pool.execute(StoreStatements.releaseSlot, [.int(slot)]) { [logger] result in
            if case .failure(let error) = result {
                logger.warning("could not release an engine slot in the database; it goes with this replica's lease",
                               metadata: ["error": .string("\(error)")])
            }
        }
        return true
    }

    public func held(userID: String) -> Int { local.withLock { $0[userID]?.count ?? 0 } }

    public var totalHeld: Int { local.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// This replica's slots, per user, by id: what `ReplicaLease` puts back if the replica's
    /// row was deleted while it lived.
    var localSlots: [String: [Int64]] { local.withLock { $0 } }
}
