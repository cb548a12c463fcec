extension PostgresPool {
    /// `execute`, awaited: for code that may wait (start-up, background tasks, tests), never a
    /// loop, which takes the completion form.
    public func run(_ statement: PreparedStatement, _ parameters: [PostgresValue] = []) async -> Result<PostgresResult, PostgresError> {
        await withCheckedContinuation { continuation in
            execute(statement, parameters) { continuation.resume(returning: $0) }
        }
    }
}
