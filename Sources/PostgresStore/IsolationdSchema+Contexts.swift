extension IsolationdSchema {
    /// Execution contexts shared by every replica (`PostgresContextStore`). Times are the core
    /// clock's nanoseconds (bigint), not the database's clock: expiry is decided by the `now`
    /// each replica's core passes, exactly as the in-memory store decides it, and a listing
    /// cursor's `created_at` matches the stored one to the nanosecond. `request_id` sorts by
    /// bytes (`COLLATE "C"`), the order of `ListingKey`'s ids.
    ///
    /// `isod_insert_context` decides the per-user and total bounds under one transaction lock, from
    /// counts a trigger keeps (no count of rows per insert): no two replicas can both take the
    /// last place. Contexts live for their TTL and are made again by clients that lose one, so
    /// their inserts commit without waiting for the WAL flush (`synchronous_commit` off for that
    /// transaction: a database crash may lose the last fraction of a second of them); the lock
    /// is then held for microseconds, not for a disk flush.
    static let version2 = """
        CREATE TABLE contexts (
            user_id text NOT NULL,
            request_id text COLLATE "C" NOT NULL,
            context json NOT NULL,
            parent_id text COLLATE "C",
            created_at bigint NOT NULL,
            expires_at bigint NOT NULL,
            PRIMARY KEY (user_id, request_id)
        );
        CREATE INDEX contexts_listing ON contexts (user_id, created_at, request_id);
        CREATE INDEX contexts_children ON contexts (user_id, parent_id) WHERE parent_id IS NOT NULL;
        CREATE INDEX contexts_by_expiry ON contexts (expires_at);

        -- The number of contexts in total and per user, kept by the trigger below on every
        -- insert and delete. The total's row is always locked before a user's, so transactions
        -- that delete several users' contexts cannot deadlock on the users' rows.
        CREATE TABLE context_total (
            only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
            held bigint NOT NULL
        );
        INSERT INTO context_total (held) VALUES (0);
        CREATE TABLE context_counts (
            user_id text PRIMARY KEY,
            held bigint NOT NULL
        );
        CREATE FUNCTION isod_count_context() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE context_total SET held = held + 1;
                INSERT INTO context_counts (user_id, held) VALUES (NEW.user_id, 1)
                ON CONFLICT (user_id) DO UPDATE SET held = context_counts.held + 1;
            ELSE
                UPDATE context_total SET held = held - 1;
                UPDATE context_counts SET held = held - 1 WHERE user_id = OLD.user_id;
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER contexts_counted AFTER INSERT OR DELETE ON contexts
            FOR EACH ROW EXECUTE FUNCTION isod_count_context();

        -- Keeps a context: a known one only gets its new expiry ('refreshed'); a user at the
        -- bound first loses their expired contexts; answers 'inserted', 'user_limit' or
        -- 'total_limit'. The counts are read after the lock is held, so they include every
        -- insert committed before.
        CREATE FUNCTION isod_insert_context(p_user text, p_request text, p_context json, p_parent text,
                                            p_created bigint, p_expires bigint, p_now bigint,
                                            p_user_limit int, p_total_limit int, OUT outcome text)
        LANGUAGE plpgsql AS $$
        DECLARE
            held int;
            dropped int;
        BEGIN
            UPDATE contexts SET expires_at = p_expires WHERE user_id = p_user AND request_id = p_request;
            IF FOUND THEN
                outcome := 'refreshed';
                RETURN;
            END IF;
            SET LOCAL synchronous_commit TO OFF;
            PERFORM pg_advisory_xact_lock(7301002);
            -- The same context inserted at once twice: the one that waited only refreshes.
            UPDATE contexts SET expires_at = p_expires WHERE user_id = p_user AND request_id = p_request;
            IF FOUND THEN
                outcome := 'refreshed';
                RETURN;
            END IF;
            SELECT coalesce((SELECT c.held FROM context_counts c WHERE c.user_id = p_user), 0) INTO held;
            IF held >= p_user_limit THEN
                DELETE FROM contexts WHERE user_id = p_user AND expires_at <= p_now;
                GET DIAGNOSTICS dropped = ROW_COUNT;
                held := held - dropped;
                IF held >= p_user_limit THEN
                    outcome := 'user_limit';
                    RETURN;
                END IF;
            END IF;
            IF (SELECT t.held FROM context_total t) >= p_total_limit THEN
                outcome := 'total_limit';
                RETURN;
            END IF;
            INSERT INTO contexts (user_id, request_id, context, parent_id, created_at, expires_at)
            VALUES (p_user, p_request, p_context, p_parent, p_created, p_expires)
            ON CONFLICT (user_id, request_id) DO UPDATE SET expires_at = EXCLUDED.expires_at;
            outcome := 'inserted';
        END $$;
        """
}
