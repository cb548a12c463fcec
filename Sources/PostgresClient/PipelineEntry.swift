/// One statement of a query on its way.
struct QueryPart {
    let statement: PreparedStatement
    /// The statement's slot in the pool (prepared flags and statistics are indexed by it).
    let slot: Int
    let parameters: [PostgresValue]
}

/// Whom a query answers: `execute` wants one result, `executeTransaction` all of them.
enum QueryCompletion {
    case single(@Sendable (Result<PostgresResult, PostgresError>) -> Void)
    case all(@Sendable (Result<[PostgresResult], PostgresError>) -> Void)
}

/// A query on its way: from `PostgresPool.execute` (one statement) or `executeTransaction`
/// (several, atomically) through the pool's queue to a connection's pipeline, until its
/// completion is called, exactly once.
struct PendingQuery {
    let first: QueryPart
    /// The transaction's further statements (empty for `execute`: no allocation).
    let rest: [QueryPart]
    /// Monotonic ns when `execute` was called (durations count from here).
    let submittedAt: UInt64
    let completion: QueryCompletion

    /// A transaction of no statement: nothing to send, nothing to wait for.
    static func completeEmpty(_ completion: QueryCompletion) {
        switch completion {
        case .single(let completion): completion(.failure(.server(sqlState: "42601", message: "no statement to execute")))
        case .all(let completion): completion(.success([]))
        }
    }

    func complete(_ outcome: Result<[PostgresResult], PostgresError>) {
        switch completion {
        case .single(let completion):
            completion(outcome.flatMap { results in
                results.first.map { .success($0) } ?? .failure(.unavailable(reason: "no result from the server"))
            })
        case .all(let completion):
            completion(outcome)
        }
    }
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
    /// One statement of the query its group's `sync` carries: one result, then NULL.
    case statement
    /// One of the pool's own statements: one result, then NULL.
    case command(InternalCommand)
    /// A `PQpipelineSync` ending a group: a PGRES_PIPELINE_SYNC result. The statements before
    /// it ran in one implicit transaction, committed only now (an error rolls them all back),
    /// so the group's query is completed here, not at its statements' results: a caller then
    /// never sees a result whose commit could still fail or that other sessions cannot see yet.
    case sync(PendingQuery?)
}
