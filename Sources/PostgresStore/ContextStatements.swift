import PostgresClient

/// The statements of `PostgresContextStore`, prepared once per connection by the pool. Every
/// read and delete is scoped by user_id: another user's request id matches no row.
enum ContextStatements {
    /// Many inserts in one statement (`ContextInsertBatches`): an outcome per 1-based position.
    static let insertBatch = PreparedStatement(name: "context_insert_batch", sql: """
        SELECT item, outcome FROM isod_insert_contexts($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[],
                                                            $6::bigint[], $7::bigint, $8::int, $9::int)
        """)
    static let lookup = PreparedStatement(name: "context_lookup", sql: """
        SELECT context FROM contexts WHERE user_id = $1 AND request_id = $2 AND expires_at > $3::bigint
        """)
    /// A newest-first page seeking by (created_at, request_id) on `contexts_listing`; $4 null
    /// starts from the newest.
    static let page = PreparedStatement(name: "context_page", sql: """
        SELECT context FROM contexts
        WHERE user_id = $1 AND expires_at > $2::bigint
          AND ($3::bigint IS NULL OR (created_at, request_id) < ($3::bigint, $4::text COLLATE "C"))
        ORDER BY created_at DESC, request_id DESC LIMIT $5::int
        """)
    /// The context and its descendants, deleted in one statement; each id with its depth below
    /// the context (0: the context itself).
    static let removeWithDescendants = PreparedStatement(name: "context_remove_tree", sql: """
        WITH RECURSIVE doomed (request_id, depth) AS (
            SELECT request_id, 0 FROM contexts WHERE user_id = $1 AND request_id = $2
            UNION ALL
            SELECT c.request_id, d.depth + 1 FROM contexts c JOIN doomed d ON c.parent_id = d.request_id
            WHERE c.user_id = $1)
        DELETE FROM contexts c USING doomed d WHERE c.user_id = $1 AND c.request_id = d.request_id
        RETURNING c.request_id, d.depth
        """)
    static let countForUser = PreparedStatement(name: "context_count_user", sql: "SELECT count(*) FROM contexts WHERE user_id = $1")
    static let countAll = PreparedStatement(name: "context_count", sql: "SELECT count(*) FROM contexts")
    /// One bounded batch of expired contexts ($1 now, $2 rows at most); answers how many went.
    static let expire = PreparedStatement(name: "context_expire_batch", sql: "SELECT isod_expire_contexts($1::bigint, $2::int)")
}
