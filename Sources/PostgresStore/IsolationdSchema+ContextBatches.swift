extension IsolationdSchema {
    /// Context inserts in batches (`PostgresContextStore`): every insert waiting while one batch
    /// is in flight goes in the next, decided in one statement, one transaction, one lock
    /// acquisition and one commit.
    ///
    /// Expiry batches commit without waiting for the WAL flush, as inserts do.
    ///
    /// The counts move to statement-level triggers with transition tables: a batch of inserts,
    /// or an expiry statement deleting a thousand rows, updates the total and each user's count
    /// once, not once per row (the row triggers of version 2 cost two statements per row).
    ///
    /// A batch is decided set-wise when everything fits: contexts already known only get their
    /// new expiry ('refreshed', as a repeat within the batch does), and when the new ones keep
    /// the total and every user's count within bounds they are inserted in one statement. Only a
    /// batch that reaches a bound is decided insert by insert, in order, exactly as separate
    /// requests would have been ('user_limit' or 'total_limit' for those past it).
    static let version4 = """
        DROP TRIGGER contexts_counted ON contexts;
        CREATE FUNCTION isod_count_inserted_contexts() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE context_total SET held = held + (SELECT count(*) FROM inserted);
            INSERT INTO context_counts AS c (user_id, held)
            SELECT i.user_id, count(*) FROM inserted i GROUP BY i.user_id ORDER BY i.user_id
            ON CONFLICT (user_id) DO UPDATE SET held = c.held + EXCLUDED.held;
            RETURN NULL;
        END $$;
        CREATE FUNCTION isod_count_deleted_contexts() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE context_total SET held = held - (SELECT count(*) FROM deleted);
            UPDATE context_counts c SET held = c.held - d.n
            FROM (SELECT user_id, count(*) AS n FROM deleted GROUP BY user_id) d WHERE c.user_id = d.user_id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER contexts_counted_inserts AFTER INSERT ON contexts REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION isod_count_inserted_contexts();
        CREATE TRIGGER contexts_counted_deletes AFTER DELETE ON contexts REFERENCING OLD TABLE AS deleted
            FOR EACH STATEMENT EXECUTE FUNCTION isod_count_deleted_contexts();

        -- Expired contexts, a bounded batch per call, committed without waiting for the WAL flush
        -- (like the inserts: TTL data; a delete a crash loses is made again by the next sweep),
        -- so the count rows it updates are not held through a disk flush; one batch at a time
        -- over every replica.
        CREATE FUNCTION isod_expire_contexts(p_now bigint, p_limit int) RETURNS int LANGUAGE plpgsql AS $$
        DECLARE
            deleted int;
        BEGIN
            SET LOCAL synchronous_commit TO OFF;
            SET LOCAL plan_cache_mode TO force_custom_plan;
            -- In turn with the inserts (their lock), so neither waits on the other's rows midway;
            -- by the rows' own addresses, found on the expiry index.
            PERFORM pg_advisory_xact_lock(7301002);
            DELETE FROM contexts WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM contexts WHERE expires_at <= p_now ORDER BY expires_at LIMIT p_limit));
            GET DIAGNOSTICS deleted = ROW_COUNT;
            RETURN deleted;
        END $$;

        CREATE FUNCTION isod_insert_contexts(p_users text[], p_requests text[], p_contexts text[], p_parents text[],
                                             p_created bigint[], p_expires bigint[], p_now bigint,
                                             p_user_limit int, p_total_limit int)
        RETURNS TABLE (item int, outcome text)
        LANGUAGE plpgsql AS $$
        DECLARE
            held int;
            dropped int;
            total bigint;
            fits boolean;
            i int;
        BEGIN
            SET LOCAL synchronous_commit TO OFF;
            -- Planned for the table as it is now: a plan a connection cached while the table was
            -- small went on scanning it whole as it grew (a fresh database got slower by the
            -- second until the next ANALYZE).
            SET LOCAL plan_cache_mode TO force_custom_plan;
            -- Made once per connection (IF NOT EXISTS would send a notice every time).
            IF to_regclass('pg_temp.isod_context_batch') IS NULL THEN
                CREATE TEMP TABLE isod_context_batch (
                    pos int, user_id text, request_id text COLLATE "C", context json, parent_id text,
                    created_at bigint, expires_at bigint, verdict text) ON COMMIT DELETE ROWS;
            END IF;
            INSERT INTO isod_context_batch
            SELECT b.pos, b.user_id, b.request_id, b.context::json, b.parent_id, b.created_at, b.expires_at, NULL
            FROM unnest(p_users, p_requests, p_contexts, p_parents, p_created, p_expires)
                 WITH ORDINALITY AS b(user_id, request_id, context, parent_id, created_at, expires_at, pos);
            -- Everything above is this batch's own (its documents parsed, outside the lock).
            PERFORM pg_advisory_xact_lock(7301002);
            -- Known contexts, and repeats within the batch, are refreshed.
            -- `COLLATE "C"`, the key's: compared in the default collation the primary key
            -- cannot be used, and the user's whole listing index was read for each row (a
            -- batch's cost grew with the user's contexts).
            WITH refreshed AS (
                UPDATE contexts t SET expires_at = b.expires_at
                FROM unnest(p_users, p_requests, p_expires) AS b(user_id, request_id, expires_at)
                WHERE t.user_id = b.user_id AND t.request_id = b.request_id COLLATE "C"
                RETURNING t.user_id, t.request_id)
            UPDATE isod_context_batch b SET verdict = 'refreshed' FROM refreshed r
            WHERE b.user_id = r.user_id AND b.request_id = r.request_id;
            UPDATE isod_context_batch b SET verdict = 'refreshed'
            WHERE b.verdict IS NULL AND EXISTS (
                SELECT 1 FROM isod_context_batch e
                WHERE e.user_id = b.user_id AND e.request_id = b.request_id AND e.pos < b.pos);
            SELECT t.held INTO total FROM context_total t;
            SELECT (SELECT count(*) FROM isod_context_batch WHERE verdict IS NULL) + total <= p_total_limit
               AND NOT EXISTS (
                   SELECT 1 FROM (SELECT b.user_id, count(*) AS n FROM isod_context_batch b
                                  WHERE b.verdict IS NULL GROUP BY b.user_id) w
                   LEFT JOIN context_counts c ON c.user_id = w.user_id
                   WHERE coalesce(c.held, 0) + w.n > p_user_limit)
            INTO fits;
            IF fits THEN
                INSERT INTO contexts (user_id, request_id, context, parent_id, created_at, expires_at)
                SELECT b.user_id, b.request_id, b.context, b.parent_id, b.created_at, b.expires_at
                FROM isod_context_batch b WHERE b.verdict IS NULL ORDER BY b.pos;
                UPDATE isod_context_batch SET verdict = 'inserted' WHERE verdict IS NULL;
            ELSE
                FOR i IN SELECT b.pos FROM isod_context_batch b WHERE b.verdict IS NULL ORDER BY b.pos LOOP
                    SELECT coalesce((SELECT c.held FROM context_counts c
                                     WHERE c.user_id = (SELECT user_id FROM isod_context_batch WHERE pos = i)), 0) INTO held;
                    IF held >= p_user_limit THEN
                        DELETE FROM contexts WHERE user_id = (SELECT user_id FROM isod_context_batch WHERE pos = i)
                                               AND expires_at <= p_now;
                        GET DIAGNOSTICS dropped = ROW_COUNT;
                        held := held - dropped;
                    END IF;
                    SELECT t.held INTO total FROM context_total t;
                    IF held >= p_user_limit THEN
                        UPDATE isod_context_batch SET verdict = 'user_limit' WHERE pos = i;
                    ELSIF total >= p_total_limit THEN
                        UPDATE isod_context_batch SET verdict = 'total_limit' WHERE pos = i;
                    ELSE
                        INSERT INTO contexts (user_id, request_id, context, parent_id, created_at, expires_at)
                        SELECT b.user_id, b.request_id, b.context, b.parent_id, b.created_at, b.expires_at
                        FROM isod_context_batch b WHERE b.pos = i;
                        UPDATE isod_context_batch SET verdict = 'inserted' WHERE pos = i;
                    END IF;
                END LOOP;
            END IF;
            RETURN QUERY SELECT b.pos::int, b.verdict FROM isod_context_batch b ORDER BY b.pos;
        END $$;
        """
}
