import CLibPQ

/// Turns libpq's results into the client's values. The PGresult stays the caller's to clear.
enum ResultDecoding {
    /// The rows and affected count of a PGRES_TUPLES_OK or PGRES_COMMAND_OK result.
    static func result(_ result: OpaquePointer) -> PostgresResult {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let affected = PQcmdTuples(result).map { Int(String(cString: $0)) ?? 0 } ?? 0
        guard columnCount > 0 else { return PostgresResult(cells: .empty, affectedRows: affected) }
        var columns = [String]()
        columns.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            columns.append(PQfname(result, Int32(column)).map { String(cString: $0) } ?? "")
        }
        var size = 0
        for row in 0..<rowCount {
            for column in 0..<columnCount { size += Int(PQgetlength(result, Int32(row), Int32(column))) }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(size)
        var spans = [(start: Int32, length: Int32)]()
        spans.reserveCapacity(rowCount * columnCount)
        for row in 0..<rowCount {
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) != 0 {
                    spans.append((start: 0, length: -1))
                    continue
                }
                let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                spans.append((start: Int32(truncatingIfNeeded: bytes.count), length: Int32(truncatingIfNeeded: length)))
                if length > 0, let value = PQgetvalue(result, Int32(row), Int32(column)) {
                    let buffer = UnsafeRawBufferPointer(start: value, count: length)
                    bytes.append(contentsOf: buffer)
                }
            }
        }
        return PostgresResult(cells: ResultCells(columns: columns, rowCount: rowCount, bytes: bytes, spans: spans),
                              affectedRows: affected)
    }

    /// The error a PGRES_FATAL_ERROR (or otherwise failed) result carries: `.timeout` for
    /// statement_timeout, `.server` with its SQLSTATE otherwise.
    static func error(_ result: OpaquePointer) -> PostgresError {
        let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        if sqlState == SQLState.queryCanceled { return .timeout }
        let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
        let message = trimmed(primary ?? PQresultErrorMessage(result).map { String(cString: $0) } ?? "unknown error")
        if SQLState.meansUnavailable(sqlState) { return .unavailable(reason: message) }
        return .server(sqlState: sqlState.isEmpty ? "XX000" : sqlState, message: message)
    }

    /// A connection's last error message, without libpq's trailing newline.
    static func connectionError(_ connection: OpaquePointer?) -> String {
        guard let connection, let message = PQerrorMessage(connection) else { return "no connection" }
        let text = trimmed(String(cString: message))
        return text.isEmpty ? "connection lost" : text
    }

    /// Drops libpq's notices (which it would print to stderr): the server's NOTICEs and
    /// WARNINGs mean nothing to the pool, and its errors arrive as results anyway.
    static func silenceNotices(_ connection: OpaquePointer) {
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    static func trimmed(_ text: String) -> String {
        var text = Substring(text)
        while let last = text.last, last == "\n" || last == " " { text.removeLast() }
        return String(text)
    }
}
