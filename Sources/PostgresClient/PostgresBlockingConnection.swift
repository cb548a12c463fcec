import CLibPQ

/// A plain blocking libpq connection, for work done before serving (migrations, the `migrate`
/// command) and for tests. Never use it on a reactor thread: every call waits on the server.
/// One thread at a time (not Sendable).
public final class PostgresBlockingConnection {
    private var connection: OpaquePointer?

    /// Connects (blocking) to `url`, a conninfo string or a `postgresql://` URL.
    public init(url: String) throws(PostgresError) {
        try PostgresLibrary.load()
        let connection = PQconnectdb(url)
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let reason = ResultDecoding.connectionError(connection)
            PQfinish(connection)
            throw .unavailable(reason: reason)
        }
        ResultDecoding.silenceNotices(connection)
        self.connection = connection
    }

    deinit { close() }

    /// Runs one statement with `parameters` (`$1`...; text format, bytes binary) and waits for
    /// its result. Without parameters a string may hold several statements (a migration).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> PostgresResult {
        guard let connection else { throw .unavailable(reason: "connection closed") }
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = PQexec(connection, sql)
        } else {
            let buffer = ParameterBuffer(parameters)
            result = buffer.values.withUnsafeBufferPointer { values in
                buffer.lengths.withUnsafeBufferPointer { lengths in
                    buffer.formats.withUnsafeBufferPointer { formats in
                        PQexecParams(connection, sql, Int32(parameters.count), nil, values.baseAddress,
                                     lengths.baseAddress, formats.baseAddress, 0)
                    }
                }
            }
        }
        guard let result else { throw .unavailable(reason: ResultDecoding.connectionError(connection)) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return ResultDecoding.result(result)
        default:
            if PQstatus(connection) == CONNECTION_BAD {
                throw .unavailable(reason: ResultDecoding.connectionError(connection))
            }
            throw ResultDecoding.error(result)
        }
    }

    /// Closes the connection (idempotent).
    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }
}

extension PostgresPool {
    /// Connects, runs `sql` once and disconnects, blocking the calling thread: for commands that
    /// run before serving (never on a reactor thread).
    @discardableResult
    public static func runBlocking(url: String, _ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> PostgresResult {
        let connection = try PostgresBlockingConnection(url: url)
        defer { connection.close() }
        return try connection.execute(sql, parameters)
    }
}
