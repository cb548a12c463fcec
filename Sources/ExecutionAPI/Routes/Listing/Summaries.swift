import ExecutionCore

/// The small forms of contexts and runs that lists (and the engine read) carry. A list is built on
/// an event loop, so each item must stay small whatever its owner stored: a context's summary
/// leaves out `agent_context` and `audit_metadata` (up to contexts.max_json_bytes each), a run's
/// leaves out `result` and `error` (up to engines.max_agent_data_bytes). What remains is ids
/// (at most 128 bytes each), words, timestamps and links: about 1 KiB, so a page of 200 stays far
/// below 1 MiB. The full forms come from `GET /v1/contexts/{id}` and `GET /v1/runs/{id}`.
enum Summaries {
    static func context(_ context: UserExecutionContext) -> JSONValue {
        let path = ContextRoutes.location(context)
        return .object([
            "id": .string(context.requestID),
            "request_id": .string(context.requestID),
            "user_id": .string(context.userID),
            "thread_id": .string(context.threadID),
            "run_id": .string(context.runID),
            "websocket_client_id": context.websocketClientID.map(JSONValue.string) ?? .null,
            "parent_request_id": context.parentRequestID.map(JSONValue.string) ?? .null,
            "operation_depth": .integer(Int64(context.operationDepth)),
            "created_at": .string(context.createdAt.iso8601),
            "links": .object(["self": .string(path), "audit": .string(path + "/audit")]),
        ])
    }

    /// A run's record without its result and error text (`RunRoutes.representation` minus those).
    static func run(_ run: RunSnapshot) -> JSONValue {
        guard case .object(var object) = RunRoutes.representation(run) else { return .null }
        object["result"] = nil
        object["error"] = nil
        return .object(object)
    }
}
