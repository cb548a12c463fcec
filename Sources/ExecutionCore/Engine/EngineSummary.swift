/// An engine at a glance, as its owner sees it.
public struct EngineSummary: Sendable, Equatable {
    public let id: String
    public let userID: String
    public let threadID: String
    public let runID: String
    /// The request id of the context the engine is bound to.
    public let requestID: String
    public let state: EngineState
    public let acceptingRuns: Bool
    public let createdAt: Timestamp
    public let expiresAt: Timestamp
    public let lastActivityAt: Timestamp
    public let stats: EngineStats
    /// Ended runs kept readable now, and at most (the bounded history).
    public let historyCount: Int
    public let historyCapacity: Int

    public var jsonValue: JSONValue {
        .object([
            "id": .string(id),
            "user_id": .string(userID),
            "thread_id": .string(threadID),
            "run_id": .string(runID),
            "request_id": .string(requestID),
            "state": .string(state.rawValue),
            "accepting_runs": .bool(acceptingRuns),
            "created_at": .string(createdAt.iso8601),
            "expires_at": .string(expiresAt.iso8601),
            "last_activity_at": .string(lastActivityAt.iso8601),
            "stats": stats.jsonValue,
            "history_count": .integer(Int64(historyCount)),
            "history_capacity": .integer(Int64(historyCapacity)),
        ])
    }
}
