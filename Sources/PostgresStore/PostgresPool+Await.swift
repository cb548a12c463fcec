import PostgresClient

extension PostgresPool {
    /// `execute` for code that may wait (start-up, background tasks): never from a loop.
    func run(_ statement: PreparedStatement, _ parameters: [PostgresValue]) async -> Result<PostgresResult, PostgresError> {
        await withCheckedContinuation { continuation in
            execute(statement, parameters) { continuation.resume(returning: $0) }
        }
    }
}
