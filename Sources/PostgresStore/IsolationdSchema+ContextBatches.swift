extension IsolationdSchema {
    /// Context inserts in batches (`PostgresContextStore`): every insert waiting while one batch
    /// is in flight goes in the next, decided in one statement, one transaction, one lock
    /// acquisition and one commit. Each insert is decided exactly as `isod_insert_context`
    /// decides one, in the batch's order, so the bounds hold insert by insert; a batch that
    /// fills the user's or the total bound refuses its later inserts, as separate requests
    /// would have been refused.
    static let version4 = """
        CREATE FUNCTION isod_insert_contexts(p_users text[], p_requests text[], p_contexts text[], p_parents text[],
                                             p_created bigint[], p_expires bigint[], p_now bigint,
                                             p_user_limit int, p_total_limit int)
        RETURNS TABLE (item int, outcome text)
        LANGUAGE plpgsql AS $$
        DECLARE
            held int;
            dropped int;
            total bigint;
        BEGIN
            SET LOCAL synchronous_commit TO OFF;
            PERFORM pg_advisory_xact_lock(7301002);
            SELECT t.held INTO total FROM context_total t;
            FOR i IN 1 .. coalesce(array_length(p_users, 1), 0) LOOP
                item := i;
                UPDATE contexts SET expires_at = p_expires[i] WHERE user_id = p_users[i] AND request_id = p_requests[i];
                IF FOUND THEN
                    outcome := 'refreshed';
                    RETURN NEXT;
                    CONTINUE;
                END IF;
                SELECT coalesce((SELECT c.held FROM context_counts c WHERE c.user_id = p_users[i]), 0) INTO held;
                IF held >= p_user_limit THEN
                    DELETE FROM contexts WHERE user_id = p_users[i] AND expires_at <= p_now;
                    GET DIAGNOSTICS dropped = ROW_COUNT;
                    held := held - dropped;
                    total := total - dropped;
                    IF held >= p_user_limit THEN
                        outcome := 'user_limit';
                        RETURN NEXT;
                        CONTINUE;
                    END IF;
                END IF;
                IF total >= p_total_limit THEN
                    outcome := 'total_limit';
                    RETURN NEXT;
                    CONTINUE;
                END IF;
                INSERT INTO contexts (user_id, request_id, context, parent_id, created_at, expires_at)
                VALUES (p_users[i], p_requests[i], p_contexts[i]::json, p_parents[i], p_created[i], p_expires[i]);
                total := total + 1;
                outcome := 'inserted';
                RETURN NEXT;
            END LOOP;
        END $$;
        """
}
