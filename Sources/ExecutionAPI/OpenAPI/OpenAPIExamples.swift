import ExecutionCore

/// The example values of the OpenAPI document: one consistent story (a context, its engine, a
/// run of `echo` on it), so a reader can follow one id from answer to request.
enum OpenAPIExamples {
    static let contextID = "3320728a-194a-4cad-b8cc-ffb2732d5983"
    static let engineID = "9c1e5b7a-2f4d-4e8b-a6c3-1d2e3f4a5b6c"
    static let runID = "5f0c2a9e-7b1d-4c3e-9a8f-0e1d2c3b4a59"
    static let requestID = "4252c778311528ca-0000000002d5"
    static let user = "demo-alice"
    static let createdAt = "2026-12-03T15:03:49.094Z"

    static func id(_ resource: String) -> String {
        switch resource {
        case "engine": engineID
        case "run": runID
        default: contextID
        }
    }

    static let contextCreate: JSONValue = .object([
        "thread_id": .string("thread-42"), "run_id": .string("research-7"),
        "agent_context": .object(["goal": .string("summarise the notes")]),
        "audit_metadata": .object(["ticket": .string("OPS-1234")]),
    ])

    static let context: JSONValue = .object([
        "id": .string(contextID), "request_id": .string(contextID), "user_id": .string(user),
        "thread_id": .string("thread-42"), "run_id": .string("research-7"), "websocket_client_id": .null,
        "created_at": .string(createdAt), "operation_depth": .integer(0), "parent_request_id": .null,
        "agent_context": .object(["goal": .string("summarise the notes")]),
        "audit_metadata": .object(["ticket": .string("OPS-1234"), "context_created_at": .string(createdAt),
                                   "context_version": .string("1"), "operation_depth": .integer(0)]),
    ])

    static let childCreate: JSONValue = .object([
        "operation_name": .string("search the web"), "agent_context": .object(["depth_hint": .string("shallow")]),
    ])

    static let engineCreate: JSONValue = .object(["context_id": .string(contextID)])

    static let engine: JSONValue = .object([
        "id": .string(engineID), "context_id": .string(contextID), "request_id": .string(contextID),
        "user_id": .string(user), "thread_id": .string("thread-42"), "run_id": .string("research-7"),
        "state": .string("active"), "accepting_runs": .bool(true), "created_at": .string(createdAt),
        "expires_at": .string("2026-12-03T16:03:49.094Z"), "last_activity_at": .string(createdAt),
        "history_count": .integer(0), "history_capacity": .integer(100),
        "stats": .object(["total_runs": .integer(0), "completed_runs": .integer(0), "failed_runs": .integer(0),
                          "timed_out_runs": .integer(0), "cancelled_runs": .integer(0), "active_runs": .integer(0),
                          "queued_runs": .integer(0), "average_queue_wait_ms": .integer(0), "max_queue_wait_ms": .integer(0),
                          "average_execution_time_ms": .integer(0), "max_execution_time_ms": .integer(0)]),
    ])

    static func runCreate(agent: String?) -> JSONValue {
        .object(["agent": .string(agent ?? "echo"), "input": .object(["text": .string("hello")]), "if_busy": .string("enqueue")])
    }

    static let run: JSONValue = .object([
        "id": .string(runID), "engine_id": .string(engineID), "user_id": .string(user), "thread_id": .string("thread-42"),
        "run_id": .string("research-7"), "agent": .string("echo"), "state": .string("running"), "reason": .null,
        "error": .null, "result": .null, "created_at": .string(createdAt), "started_at": .string(createdAt),
        "ended_at": .null, "queue_wait_ms": .integer(0), "duration_ms": .null,
        "links": .object(["self": .string("/v1/runs/" + runID), "events": .string("/v1/runs/\(runID)/events"),
                          "cancel": .string("/v1/runs/\(runID)/cancel"), "engine": .string("/v1/engines/" + engineID)]),
    ])

    static let auditTrail: JSONValue = .object([
        "correlation_id": .string(contextID), "request_id": .string(contextID), "user_id": .string(user),
        "thread_id": .string("thread-42"), "run_id": .string("research-7"), "websocket_client_id": .null,
        "created_at": .string(createdAt), "operation_depth": .integer(0), "parent_request_id": .null,
        "context_age_seconds": .double(12.5),
        "audit_metadata": .object(["ticket": .string("OPS-1234"), "context_created_at": .string(createdAt),
                                   "context_version": .string("1"), "operation_depth": .integer(0)]),
    ])

    /// The engine's read: the engine, its newest run summaries and the links to the rest.
    static var engineDetail: JSONValue {
        guard case .object(var detail) = engine, case .object(var summary) = run else { return engine }
        summary["result"] = nil
        summary["error"] = nil
        detail["runs"] = .array([.object(summary)])
        detail["links"] = .object(["self": .string("/v1/engines/" + engineID), "runs": .string("/v1/runs?engine_id=" + engineID)])
        return .object(detail)
    }

    static let event = "id: 17\nevent: agent_completed\ndata: {\"id\":17,\"type\":\"agent_completed\",\"execution_id\":\"\(runID)\",\"data\":{\"result\":{\"text\":\"hello\"}}}\n\n"
}
