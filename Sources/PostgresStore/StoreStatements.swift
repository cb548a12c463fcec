import PostgresClient

/// Every statement the stores send, prepared once per connection by the pool.
enum StoreStatements {
    static let registerReplica = PreparedStatement(name: "register_replica", sql: """
        INSERT INTO replicas (replica_id, lease_expires_at) VALUES ($1, now() + $2::bigint * interval '1 millisecond')
        ON CONFLICT (replica_id) DO UPDATE SET lease_expires_at = EXCLUDED.lease_expires_at
        """)
    /// A replica starting under a name it had before (a fixed `database.replica_id`) holds no
    /// engine yet: the slots of its previous life go.
    static let clearReplicaSlots = PreparedStatement(name: "clear_replica_slots", sql: "DELETE FROM engine_slots WHERE replica_id = $1")
    static let renewLease = PreparedStatement(name: "renew_lease", sql: """
        UPDATE replicas SET lease_expires_at = now() + $2::bigint * interval '1 millisecond' WHERE replica_id = $1
        """)
    /// Deletes the replicas whose lease ran out (their slots cascade) and ends their live runs
    /// `replica_lost`, each with one terminal event, in one transaction (schema version 3).
    static let expireReplicas = PreparedStatement(name: "expire_replicas", sql: """
        SELECT replica_id FROM isod_expire_replicas() AS replica_id
        """)
    /// A replica starting under a name it had before (a fixed `database.replica_id`) runs none of
    /// the runs of its previous life: the live ones end `replica_lost`, as a dead replica's do.
    static let endReplicaRuns = PreparedStatement(name: "end_replica_runs", sql: "SELECT isod_end_replica_runs(ARRAY[$1])")
    static let leaveReplica = PreparedStatement(name: "leave_replica", sql: "DELETE FROM replicas WHERE replica_id = $1")

    static let reserveSlot = PreparedStatement(name: "reserve_slot", sql: "SELECT outcome, held, slot FROM isod_reserve_slot($1, $2, $3::int, $4::int)")
    /// By the slot's own id: two releases of one user at once must each delete a row of their own.
    static let releaseSlot = PreparedStatement(name: "release_slot", sql: "DELETE FROM engine_slots WHERE slot_id = $1::bigint")
    /// The replica's slots, put back under their ids ($1: a `{1,2,3}` array literal).
    static let restoreSlots = PreparedStatement(name: "restore_slots", sql: """
        INSERT INTO engine_slots (slot_id, user_id, replica_id) SELECT unnest($1::bigint[]), $2, $3
        ON CONFLICT (slot_id) DO NOTHING
        """)

    static let idempotencyBegin = PreparedStatement(name: "idempotency_begin", sql: """
        SELECT outcome, payload FROM isod_idempotency_begin($1, $2, $3::bytea, $4::bigint, $5, $6::int)
        """)
    static let idempotencyComplete = PreparedStatement(name: "idempotency_complete", sql: """
        UPDATE idempotency_keys SET payload = $3::bytea, replica_id = NULL,
            expires_at = now() + $4::bigint * interval '1 millisecond'
        WHERE user_id = $1 AND key = $2 AND payload IS NULL
        """)
    static let idempotencyRelease = PreparedStatement(name: "idempotency_release", sql: """
        DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND payload IS NULL
        """)
    static let idempotencyExpire = PreparedStatement(name: "idempotency_expire", sql: """
        DELETE FROM idempotency_keys WHERE (user_id, key) IN (
            SELECT user_id, key FROM idempotency_keys WHERE expires_at <= now() LIMIT $1::int)
        """)
    static let idempotencyCount = PreparedStatement(name: "idempotency_count", sql: "SELECT count(*) FROM idempotency_keys")
}
