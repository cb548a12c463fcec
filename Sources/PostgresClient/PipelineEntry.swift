/// A query on its way: from `PostgresPool.execute` through the pool's queue to a connection's
/// pipeline, until its completion is called (exactly once).
struct PendingQuery {
    let statement: PreparedStatement
    /// The statement's slot in the pool (prepared flags and statistics are indexed by it).
    let slot: Int
    let parameters: [PostgresValue]
    /// Monotonic ns when `execute` was called (durations count from here).
    let submittedAt: UInt64
    let completion: @Sendable (Result<PostgresResult, PostgresError>) -> Void
}

/// A statement the pool sends for itself, outside any caller's query.
enum InternalCommand {
    /// `SET statement_timeout`, first on every new connection.
    case setup
    /// `LISTEN` on the listener connection.
    case listen(channel: String)
}

/// What a connection has sent and awaits answers for, in the order the answers come: libpq
/// returns results in the order of the pipeline.
enum PipelineEntry {
    /// A `PQsendPrepare` of the statement in this slot: one result, then NULL.
    case prepare(slot: Int)
    /// A caller's query: one result, then NULL.
    case query(PendingQuery)
    /// One of the pool's own statements: one result, then NULL.
    case command(InternalCommand)
    /// A `PQpipelineSync`: a PGRES_PIPELINE_SYNC result. Each query is followed by its own sync,
    /// so it runs in its own implicit transaction and its error fails only itself.
    case sync
}
