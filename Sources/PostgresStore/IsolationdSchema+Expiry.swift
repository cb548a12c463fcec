extension IsolationdSchema {
    /// The second half of version 3: ending a dead replica's runs with `replica_lost` (called
    /// by `isod_expire_replicas`, which replaces version 1's plain DELETE of expired replicas,
    /// and by a replica starting again under its old name), and the bounded retention batches.
    static let version3Expiry = """
        -- Ends the live runs (queued, running, cancelling) of replicas that are gone, each with exactly
        -- one terminal event: agent_error, data {"kind":"replica_lost",…}, numbered like any event, its
        -- body written as the service's encoder writes one; the record turns failed/replica_lost; one
        -- NOTIFY per user. The users' counters are locked first, in user order (the order appends lock
        -- them), so no append of theirs is under way while the runs are read and ended: a run that an
        -- append ended first is no longer live here. Answers how many runs it ended.
        CREATE FUNCTION isod_end_replica_runs(p_replicas text[]) RETURNS int LANGUAGE plpgsql AS $$
        DECLARE
            v_now timestamptz := clock_timestamp();
            v_ns bigint := (extract(epoch FROM v_now) * 1000000)::bigint * 1000;
            v_stamp text := to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
            v_users text[];
            v_notify_users text[];
            v_notify_last bigint[];
            v_ended int;
        BEGIN
            SELECT array_agg(locked.user_id ORDER BY locked.user_id) INTO v_users FROM (
                SELECT c.user_id FROM event_counters c
                WHERE c.user_id IN (SELECT r.user_id FROM runs r
                                    WHERE r.replica_id = ANY (p_replicas) AND r.state IN ('queued', 'running', 'cancelling'))
                ORDER BY c.user_id FOR UPDATE) locked;
            IF v_users IS NULL THEN
                RETURN 0;
            END IF;

            WITH ended AS (
                UPDATE runs r SET state = 'failed', reason = 'replica_lost',
                    error = 'the replica running this run stopped (' || r.replica_id || ')',
                    ended_ns = v_ns, updated_at = now()
                WHERE r.replica_id = ANY (p_replicas) AND r.state IN ('queued', 'running', 'cancelling')
                  AND r.user_id = ANY (v_users)
                RETURNING r.*
            ), counts AS (
                SELECT e.user_id, count(*) AS n FROM ended e GROUP BY e.user_id
            ), bumped AS (
                UPDATE event_counters c SET last_id = c.last_id + k.n FROM counts k WHERE c.user_id = k.user_id
                RETURNING c.user_id, c.last_id, k.n
            ), numbered AS (
                SELECT e.*, b.last_id - b.n + row_number() OVER (PARTITION BY e.user_id ORDER BY e.execution_id) AS id
                FROM ended e JOIN bumped b ON b.user_id = e.user_id
            ), stored AS (
                INSERT INTO events (user_id, id, type, execution_id, thread_id, run_id, request_id, engine_id, agent,
                                    published_ns, body)
                SELECT n.user_id, n.id, 'agent_error', n.execution_id, n.thread_id, n.run_id, n.request_id, n.engine_id,
                       n.agent, v_ns,
                       '{"user_id":' || to_json(n.user_id)::text || ',"thread_id":' || to_json(n.thread_id)::text
                       || ',"run_id":' || to_json(n.run_id)::text || ',"execution_id":' || to_json(n.execution_id)::text
                       || ',"request_id":' || to_json(n.request_id)::text || ',"engine_id":' || to_json(n.engine_id)::text
                       || ',"agent":' || to_json(n.agent)::text || ',"type":"agent_error","timestamp":"' || v_stamp
                       || '","data":{"kind":"replica_lost","message":' || to_json(n.error)::text || '}'
                FROM numbered n
            )
            SELECT array_agg(b.user_id), array_agg(b.last_id), sum(b.n) INTO v_notify_users, v_notify_last, v_ended FROM bumped b;

            PERFORM pg_notify('isod_events', x.last_id::text || ' '
                              || (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text || ' ' || x.user_id)
            FROM unnest(v_notify_users, v_notify_last) AS x(user_id, last_id);
            RETURN coalesce(v_ended, 0);
        END $$;

        -- Deletes the replicas whose lease ran out (their engine slots cascade) and ends their live
        -- runs in the same transaction. The DELETE decides who ends them: a replica's row is deleted
        -- by one caller only (another one at once waits for the row, then finds it gone).
        CREATE FUNCTION isod_expire_replicas() RETURNS SETOF text LANGUAGE plpgsql AS $$
        DECLARE
            v_gone text[];
        BEGIN
            WITH gone AS (DELETE FROM replicas WHERE lease_expires_at < now() RETURNING replica_id)
            SELECT array_agg(g.replica_id) INTO v_gone FROM gone g;
            IF v_gone IS NOT NULL THEN
                PERFORM isod_end_replica_runs(v_gone);
                RETURN QUERY SELECT unnest(v_gone);
            END IF;
        END $$;

        -- One bounded batch of retention, by one replica at a time (the others' calls at the same
        -- moment do nothing): at most p_batch events older than p_event_age_ms, at most p_batch runs
        -- that ended more than p_run_age_ms ago, at most p_batch expired idempotency keys. Event
        -- counters are never deleted, so ids are never reused.
        CREATE FUNCTION isod_retention(p_event_age_ms bigint, p_run_age_ms bigint, p_batch int,
                                       OUT deleted_events int, OUT deleted_runs int, OUT deleted_keys int)
        LANGUAGE plpgsql AS $$
        BEGIN
            deleted_events := 0;
            deleted_runs := 0;
            deleted_keys := 0;
            IF NOT pg_try_advisory_xact_lock(7301003) THEN
                RETURN;
            END IF;
            DELETE FROM events WHERE (user_id, id) IN (
                SELECT e.user_id, e.id FROM events e
                WHERE e.created_at < now() - p_event_age_ms * interval '1 millisecond' LIMIT p_batch);
            GET DIAGNOSTICS deleted_events = ROW_COUNT;
            DELETE FROM runs WHERE execution_id IN (
                SELECT r.execution_id FROM runs r
                WHERE r.state NOT IN ('queued', 'running', 'cancelling')
                  AND r.updated_at < now() - p_run_age_ms * interval '1 millisecond' LIMIT p_batch);
            GET DIAGNOSTICS deleted_runs = ROW_COUNT;
            DELETE FROM idempotency_keys WHERE (user_id, key) IN (
                SELECT k.user_id, k.key FROM idempotency_keys k WHERE k.expires_at <= now() LIMIT p_batch);
            GET DIAGNOSTICS deleted_keys = ROW_COUNT;
        END $$;
        """
}
