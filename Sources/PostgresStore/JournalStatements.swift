import PostgresClient

/// The statements of `PostgresEventJournal` and `PostgresRetention`, prepared once per
/// connection by the pool. Every read is scoped by user_id: another user's run or events match
/// no row.
enum JournalStatements {
    /// `isod_append_events` with the batch as one binary array per column (`JournalBatch`);
    /// answers the ids in batch order as one `{1,2,3}` array.
    static let append = PreparedStatement(name: "journal_append", sql: """
        SELECT isod_append_events($1, $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::bigint[], $11::text[], $12::text[], $13::bigint[], $14::bigint[],
            $15::bigint[], $16::text[], $17::text[], $18::text[])
        """)

    /// The user's last id (0 before their first event), then the newest $3 events above $2,
    /// oldest first; one row with NULL event columns when there is none. One snapshot for both,
    /// so every id up to the last id is either there or deleted by retention.
    static let read = PreparedStatement(name: "journal_read", sql: readSQL(matching: ""))
    /// `read` for one run's events ($4), on `events_by_execution` (schema v5).
    static let readRun = PreparedStatement(name: "journal_read_run", sql: readSQL(matching: "AND execution_id = $4"))

    /// The user's last id with the newest $3 events after $2 (matching `condition`), oldest first.
    private static func readSQL(matching condition: String) -> String {
        """
        SELECT c.last_id, e.id, e.type, e.execution_id, e.thread_id, e.run_id, e.request_id, e.engine_id,
               e.agent, e.published_ns, e.body
        FROM (SELECT coalesce((SELECT last_id FROM event_counters WHERE user_id = $1), 0) AS last_id) c
        LEFT JOIN LATERAL (
            SELECT * FROM events WHERE user_id = $1 \(condition) AND id > $2::bigint ORDER BY id DESC LIMIT $3::int) e ON true
        ORDER BY e.id
        """
    }

    static let findRun = PreparedStatement(name: "journal_find_run", sql: """
        SELECT engine_id, thread_id, run_id, agent, state, reason, error, result, created_ns, started_ns, ended_ns
        FROM runs WHERE execution_id = $1 AND user_id = $2
        """)

    /// One retention batch ($1 event age, $2 run age, both in ms; $3 rows per kind at most).
    static let retention = PreparedStatement(name: "journal_retention", sql: """
        SELECT deleted_events, deleted_runs, deleted_keys FROM isod_retention($1::bigint, $2::bigint, $3::int)
        """)
}
