extension IsolationdSchema {
    /// Execution contexts shared by every replica (`PostgresContextStore`). Times are the core
    /// clock's nanoseconds (bigint), not the database's clock: expiry is decided by the `now`
    /// each replica's core passes, exactly as the in-memory store decides it, and a listing
    /// cursor's `created_at` matches the stored one to the nanosecond. `request_id` sorts by
    /// bytes (`COLLATE "C"`), the order of `ListingKey`'s ids.
    ///
    /// `isod_insert_context` decides the per-user and total bounds under one transaction lock:
    /// no two replicas can both take the last place.
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
            PERFORM pg_advisory_xact_lock(7301002);
            -- The same context inserted at once twice: the one that waited only refreshes.
            UPDATE contexts SET expires_at = p_expires WHERE user_id = p_user AND request_id = p_request;
            IF FOUND THEN
                outcome := 'refreshed';
                RETURN;
            END IF;
            SELECT count(*) INTO held FROM contexts WHERE user_id = p_user;
            IF held >= p_user_limit THEN
                DELETE FROM contexts WHERE user_id = p_user AND expires_at <= p_now;
                GET DIAGNOSTICS dropped = ROW_COUNT;
                held := held - dropped;
                IF held >= p_user_limit THEN
                    outcome := 'user_limit';
                    RETURN;
                END IF;
            END IF;
            IF (SELECT count(*) FROM contexts) >= p_total_limit THEN
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
