import PostgresClient

/// The service's tables, as versioned migrations shipped in the binary (`isolationd migrate`
/// applies them; `serve` refuses a database whose schema is older than `requiredVersion`).
///
/// A migration is never edited once released: changes come as a new version.
public enum IsolationdSchema {
    /// The newest version this binary knows and needs.
    public static var requiredVersion: Int { migrations.last?.version ?? 0 }

    public static let migrations: [Migration] = [
        Migration(version: 1, name: "replicas, engine slots, idempotency keys", sql: version1),
        Migration(version: 2, name: "contexts", sql: version2),
        Migration(version: 3, name: "event journal, run records, replica_lost, retention", sql: version3Events + "\n" + version3Expiry),
        Migration(version: 4, name: "context inserts in batches", sql: version4),
        Migration(version: 5, name: "events by run", sql: "CREATE INDEX events_by_execution ON events (user_id, execution_id, id);"),
    ]

    /// Replicas with their leases; engine slots owned by a replica (deleted with it when its
    /// lease runs out); idempotency keys per user. The functions do each shared decision in one
    /// statement, so one round trip decides it atomically.
    static let version1 = """
        CREATE TABLE replicas (
            replica_id text PRIMARY KEY,
            started_at timestamptz NOT NULL DEFAULT now(),
            lease_expires_at timestamptz NOT NULL
        );

        CREATE TABLE engine_slots (
            slot_id bigserial PRIMARY KEY,
            user_id text NOT NULL,
            replica_id text NOT NULL REFERENCES replicas (replica_id) ON DELETE CASCADE,
            taken_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX engine_slots_by_user ON engine_slots (user_id);
        CREATE INDEX engine_slots_by_replica ON engine_slots (replica_id);

        -- Takes one slot for p_user when the user's and the global count stay within limits.
        -- One global transaction lock orders every reservation of every replica, so no two
        -- can both take the last slot; the counts are read after the lock is held, so they
        -- include every reservation committed before. Answers 'reserved', 'user_limit' (with
        -- the user's count) or 'global_limit'; a reserved slot's id is what releases it.
        CREATE FUNCTION isod_reserve_slot(p_user text, p_replica text, p_user_limit int, p_global_limit int,
                                          OUT outcome text, OUT held int, OUT slot bigint)
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(7301001);
            SELECT count(*) INTO held FROM engine_slots WHERE user_id = p_user;
            IF held >= p_user_limit THEN
                outcome := 'user_limit';
                RETURN;
            END IF;
            IF (SELECT count(*) FROM engine_slots) >= p_global_limit THEN
                outcome := 'global_limit';
                RETURN;
            END IF;
            INSERT INTO engine_slots (user_id, replica_id) VALUES (p_user, p_replica) RETURNING slot_id INTO slot;
            outcome := 'reserved';
            held := held + 1;
        END $$;

        CREATE TABLE idempotency_keys (
            user_id text NOT NULL,
            key text NOT NULL,
            fingerprint bytea NOT NULL,
            payload bytea,
            -- The replica running the request while payload is null.
            replica_id text,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (user_id, key)
        );
        CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);

        -- Each user's number of keys, kept by the trigger below (the per-user cap is checked
        -- against it, not against a count of rows per request).
        CREATE TABLE idempotency_counts (
            user_id text PRIMARY KEY,
            held bigint NOT NULL
        );
        CREATE FUNCTION isod_count_idempotency_key() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO idempotency_counts (user_id, held) VALUES (NEW.user_id, 1)
                ON CONFLICT (user_id) DO UPDATE SET held = idempotency_counts.held + 1;
            ELSE
                UPDATE idempotency_counts SET held = held - 1 WHERE user_id = OLD.user_id;
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER idempotency_keys_counted AFTER INSERT OR DELETE ON idempotency_keys
            FOR EACH ROW EXECUTE FUNCTION isod_count_idempotency_key();

        -- The first request with a key reserves it ('proceed'); a live key answers 'replay'
        -- (with the stored payload), 'in_progress' or 'mismatch'. An expired key, or one whose
        -- request was running on a replica that is gone, is taken over. Past p_max_keys for
        -- the user, the oldest keys are forgotten first.
        CREATE FUNCTION isod_idempotency_begin(p_user text, p_key text, p_fingerprint bytea, p_ttl_ms bigint,
                                               p_replica text, p_max_keys int,
                                               OUT outcome text, OUT payload bytea)
        LANGUAGE plpgsql AS $$
        DECLARE
            existing idempotency_keys%ROWTYPE;
            kept int;
        BEGIN
            INSERT INTO idempotency_keys (user_id, key, fingerprint, replica_id, expires_at)
            VALUES (p_user, p_key, p_fingerprint, p_replica, now() + p_ttl_ms * interval '1 millisecond')
            ON CONFLICT (user_id, key) DO NOTHING;
            IF FOUND THEN
                SELECT c.held INTO kept FROM idempotency_counts c WHERE c.user_id = p_user;
                IF kept > p_max_keys THEN
                    DELETE FROM idempotency_keys WHERE (user_id, key) IN (
                        SELECT k.user_id, k.key FROM idempotency_keys k
                        WHERE k.user_id = p_user AND k.key <> p_key
                        ORDER BY (k.expires_at <= now()) DESC, k.created_at LIMIT kept - p_max_keys);
                END IF;
                outcome := 'proceed';
                RETURN;
            END IF;
            SELECT * INTO existing FROM idempotency_keys WHERE user_id = p_user AND key = p_key FOR UPDATE;
            IF existing.expires_at <= now()
               OR (existing.payload IS NULL AND NOT EXISTS (
                       SELECT 1 FROM replicas r WHERE r.replica_id = existing.replica_id)) THEN
                UPDATE idempotency_keys
                SET fingerprint = p_fingerprint, payload = NULL, replica_id = p_replica, created_at = now(),
                    expires_at = now() + p_ttl_ms * interval '1 millisecond'
                WHERE user_id = p_user AND key = p_key;
                outcome := 'proceed';
            ELSIF existing.fingerprint <> p_fingerprint THEN
                outcome := 'mismatch';
            ELSIF existing.payload IS NULL THEN
                outcome := 'in_progress';
            ELSE
                outcome := 'replay';
                payload := existing.payload;
            END IF;
        END $$;
        """
}
