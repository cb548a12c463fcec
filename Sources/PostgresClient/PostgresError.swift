/// Why a query, a connection or a migration failed.
public enum PostgresError: Error, Sendable, Equatable {
    /// No usable connection: not connected yet, the connection was lost (queries in flight on it
    /// fail this way; they may or may not have run), reconnecting, or the pool is shut down.
    case unavailable(reason: String)
    /// Every connection's pipeline was full and the query waited past `queueTimeout`, or the
    /// queue already held `maxWaiting` queries.
    case poolExhausted
    /// The statement ran past `statement_timeout` (SQLSTATE 57014).
    case timeout
    /// The server refused the statement: a constraint, a syntax error, a deadlock... `sqlState`
    /// is the five-character SQLSTATE code (e.g. 23505 for a unique violation).
    case server(sqlState: String, message: String)
}

extension PostgresError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unavailable(let reason): "database unavailable: \(reason)"
        case .poolExhausted: "database pool exhausted"
        case .timeout: "database statement timed out"
        case .server(let sqlState, let message): "database error \(sqlState): \(message)"
        }
    }
}

/// SQLSTATE codes the client itself tells apart.
enum SQLState {
    /// query_canceled: what statement_timeout raises.
    static let queryCanceled = "57014"

    /// Errors that say the server is going away or not there (class 08, connection exception;
    /// 57P01-57P05, operator intervention: admin or crash shutdown, cannot connect now, ...),
    /// not that the statement was wrong: the caller sees `.unavailable`.
    static func meansUnavailable(_ sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || (sqlState.hasPrefix("57P") && sqlState.count == 5)
    }
}
