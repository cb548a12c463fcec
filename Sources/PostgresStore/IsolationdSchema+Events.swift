extension IsolationdSchema {
    /// The event journal and run records (`PostgresEventJournal`). `event_counters` is the only
    /// source of event ids: a row per user, only ever increased and never deleted (retention
    /// deletes events, not counters), so an id is never used twice, across restarts and replicas.
    /// `events` keeps each event's columns and its envelope JSON without `,"id":N}` (`body`);
    /// `runs` keeps one record per run, folded from its events' `RunRecordChange`s, with the
    /// replica that ran it (its live runs end `replica_lost` when that replica's lease runs out:
    /// `version3Expiry`). Times are the core clock's nanoseconds; `created_at` / `updated_at` are
    /// the database's, for retention.
    ///
    /// The batch travels as one array per column (sent in PostgreSQL's binary array format: no
    /// quoting or escaping of the JSON on either side) and is unpacked by one `unnest`.
    /// Events commit with the WAL flush (synchronous commit stays on): an id answered to a
    /// client must never be handed out again after a crash.
    static let version3Events = """
        CREATE TABLE event_counters (
            user_id text PRIMARY KEY,
            last_id bigint NOT NULL
        );

        CREATE TABLE events (
            user_id text NOT NULL,
            id bigint NOT NULL,
            type text NOT NULL,
            execution_id text NOT NULL,
            thread_id text NOT NULL,
            run_id text NOT NULL,
            request_id text NOT NULL,
            engine_id text NOT NULL,
            agent text NOT NULL,
            published_ns bigint NOT NULL,
            body text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (user_id, id)
        );
        CREATE INDEX events_by_age ON events (created_at);

        CREATE TABLE runs (
            execution_id text PRIMARY KEY,
            user_id text NOT NULL,
            thread_id text NOT NULL,
            run_id text NOT NULL,
            request_id text NOT NULL,
            engine_id text NOT NULL,
            agent text NOT NULL,
            replica_id text NOT NULL,
            state text NOT NULL,
            reason text,
            error text,
            result text,
            created_ns bigint,
            started_ns bigint,
            ended_ns bigint,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX runs_live_by_replica ON runs (replica_id) WHERE state IN ('queued', 'running', 'cancelling');
        CREATE INDEX runs_ended_by_age ON runs (updated_at) WHERE state NOT IN ('queued', 'running', 'cancelling');

        -- Appends a batch (one array per column, element i of each is event i) and answers the ids
        -- in batch order. Numbering first: each user of the batch takes its count of ids in one
        -- upsert, the users in user_id order, so two replicas' batches lock the same rows in the same
        -- order and never deadlock; the row lock is held to commit, so a user's ids commit in id
        -- order. Then the events, the runs' records (per run of the batch: its first terminal change,
        -- else its last change; a stored terminal state is never replaced and its times stay), and one
        -- NOTIFY per user, '<last id> <unix microseconds> <user id>' (the user last: it may hold spaces).
        CREATE FUNCTION isod_append_events(
            p_replica text, p_users text[], p_types text[], p_executions text[], p_threads text[], p_runs text[],
            p_requests text[], p_engines text[], p_agents text[], p_published bigint[], p_bodies text[],
            p_states text[], p_created bigint[], p_started bigint[], p_ended bigint[],
            p_reasons text[], p_errors text[], p_results text[])
        RETURNS bigint[] LANGUAGE plpgsql AS $$
        DECLARE
            v_users text[];
            v_last bigint[];
            v_ids bigint[];
        BEGIN
            WITH wanted AS (
                SELECT u AS user_id, count(*) AS n FROM unnest(p_users) AS u GROUP BY u
            ), bumped AS (
                INSERT INTO event_counters AS c (user_id, last_id)
                SELECT w.user_id, w.n FROM wanted w ORDER BY w.user_id
                ON CONFLICT (user_id) DO UPDATE SET last_id = c.last_id + EXCLUDED.last_id
                RETURNING c.user_id, c.last_id
            )
            SELECT array_agg(b.user_id), array_agg(b.last_id) INTO v_users, v_last FROM bumped b;

            WITH batch AS (
                SELECT * FROM unnest(p_users, p_types, p_executions, p_threads, p_runs, p_requests, p_engines, p_agents,
                                     p_published, p_bodies, p_states, p_created, p_started, p_ended, p_reasons, p_errors, p_results)
                    WITH ORDINALITY AS b(user_id, type, execution_id, thread_id, run_id, request_id, engine_id, agent,
                                         published_ns, body, state, created_ns, started_ns, ended_ns, reason, error, result, position)
            ), numbered AS (
                SELECT b.position, b.user_id, b.type, b.execution_id, b.thread_id, b.run_id, b.request_id, b.engine_id,
                       b.agent, b.published_ns, b.body,
                       l.last_id - count(*) OVER w + row_number() OVER (w ORDER BY b.position) AS id
                FROM batch b JOIN unnest(v_users, v_last) AS l(user_id, last_id) ON l.user_id = b.user_id
                WINDOW w AS (PARTITION BY b.user_id)
            ), stored AS (
                INSERT INTO events (user_id, id, type, execution_id, thread_id, run_id, request_id, engine_id, agent,
                                    published_ns, body)
                SELECT n.user_id, n.id, n.type, n.execution_id, n.thread_id, n.run_id, n.request_id, n.engine_id, n.agent,
                       n.published_ns, n.body
                FROM numbered n
            ), changes AS (
                SELECT * FROM batch WHERE state IS NOT NULL
            ), winners AS (
                SELECT DISTINCT ON (c.execution_id) * FROM changes c
                ORDER BY c.execution_id, (c.state NOT IN ('queued', 'running', 'cancelling')) DESC,
                         CASE WHEN c.state IN ('queued', 'running', 'cancelling') THEN -c.position ELSE c.position END
            ), times AS (
                SELECT c.execution_id, min(c.created_ns) AS created_ns, min(c.started_ns) AS started_ns,
                       min(c.ended_ns) AS ended_ns
                FROM changes c GROUP BY c.execution_id
            ), recorded AS (
                INSERT INTO runs AS r (execution_id, user_id, thread_id, run_id, request_id, engine_id, agent, replica_id,
                                       state, reason, error, result, created_ns, started_ns, ended_ns)
                SELECT w.execution_id, w.user_id, w.thread_id, w.run_id, w.request_id, w.engine_id, w.agent, p_replica,
                       w.state, w.reason, w.error, w.result, t.created_ns, t.started_ns, t.ended_ns
                FROM winners w JOIN times t ON t.execution_id = w.execution_id
                ORDER BY w.execution_id
                ON CONFLICT (execution_id) DO UPDATE SET
                    state = CASE WHEN r.state IN ('queued', 'running', 'cancelling') THEN EXCLUDED.state ELSE r.state END,
                    reason = CASE WHEN r.state IN ('queued', 'running', 'cancelling') THEN EXCLUDED.reason ELSE r.reason END,
                    error = CASE WHEN r.state IN ('queued', 'running', 'cancelling') THEN EXCLUDED.error ELSE r.error END,
                    result = CASE WHEN r.state IN ('queued', 'running', 'cancelling') THEN EXCLUDED.result ELSE r.result END,
                    replica_id = CASE WHEN r.state IN ('queued', 'running', 'cancelling') THEN EXCLUDED.replica_id ELSE r.replica_id END,
                    created_ns = coalesce(r.created_ns, EXCLUDED.created_ns),
                    started_ns = CASE WHEN r.state IN ('queued', 'running', 'cancelling')
                                      THEN coalesce(r.started_ns, EXCLUDED.started_ns) ELSE r.started_ns END,
                    ended_ns = CASE WHEN r.state IN ('queued', 'running', 'cancelling')
                                    THEN coalesce(r.ended_ns, EXCLUDED.ended_ns) ELSE r.ended_ns END,
                    updated_at = now()
                WHERE r.user_id = EXCLUDED.user_id
            )
            SELECT array_agg(n.id ORDER BY n.position) INTO v_ids FROM numbered n;

            PERFORM pg_notify('isod_events', x.last_id::text || ' '
                              || (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text || ' ' || x.user_id)
            FROM unnest(v_users, v_last) AS x(user_id, last_id);
            RETURN v_ids;
        END $$;
        """
}
