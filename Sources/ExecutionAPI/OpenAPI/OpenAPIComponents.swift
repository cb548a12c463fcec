import ExecutionCore

/// The `components` of the OpenAPI document: schemas, shared problem answers, the bearer scheme.
enum OpenAPIComponents {
    static var value: JSONValue {
        .object([
            "securitySchemes": .object([
                "bearer": .object(["type": .string("http"), "scheme": .string("bearer"),
                                   "description": .string("An API key (config auth.api_keys) or a JWT (HS256/RS256; sub is the user).")]),
            ]),
            "schemas": .object(schemas),
            "responses": .object(responses),
        ])
    }

    static var responses: [String: JSONValue] {
        let problem = OA.ref("Problem")
        func answer(_ description: String, retry: Bool = false) -> JSONValue {
            OA.response(description, schema: problem, mediaType: "application/problem+json",
                        headers: retry ? ["Retry-After": OA.retryAfterHeader] : [:])
        }
        return [
            "Problem": answer("An error (RFC 9457)."),
            "BadRequest": answer("The body is not JSON (detail gives the byte offset) or not an object, or a header is malformed."),
            "Unauthorized": OA.response("Missing or bad credentials.", schema: problem, mediaType: "application/problem+json",
                                        headers: ["WWW-Authenticate": OA.header("Bearer challenge (RFC 6750).")]),
            "Forbidden": answer("The caller lacks a role the operation needs."),
            "NotFound": answer("No such resource for this caller (another user's resources answer exactly the same)."),
            "Conflict": answer("The engine is busy (if_busy reject, naming the active runs), retiring or cleaned; or the Idempotency-Key is in use."),
            "TooLarge": answer("The body is larger than this operation accepts."),
            "UnsupportedMediaType": answer("The body is not sent as application/json."),
            "Validation": answer("A field is missing, of the wrong type, unknown or invalid; field names it."),
            "TooManyRequests": answer("A per-user limit (engines, contexts, queued runs, streams) is reached.", retry: true),
            "Unavailable": answer("The breaker is open, the service is at capacity, or it is shutting down.", retry: true),
            "MethodNotAllowed": OA.response("The path exists but not with this method (any other method of RFC 9110 or PATCH); Allow lists what it supports.",
                                            schema: problem, mediaType: "application/problem+json",
                                            headers: ["Allow": OA.allowHeader]),
            "NotImplemented": answer("The server does not recognise the method (method names are case-sensitive: get is not GET)."),
        ]
    }

    static var schemas: [String: JSONValue] {
        let id = OA.str("A server-made id.")
        let timestamp = OA.str("RFC 3339 UTC timestamp.")
        return [
            "Problem": OA.object([
                "type": OA.str("urn:isolationd:problem:<name>: one per kind of problem, the same in every layer; GET /problems/<name> describes it (GET /problems lists them all)."),
                "title": OA.str("The type's fixed title."), "status": OA.integer,
                "detail": OA.str("What to fix."),
                "instance": OA.str("urn:isolationd:request:<id>, where <id> is this answer's X-Request-ID."),
                "field": OA.str("The offending member, for validation problems."),
                "retry_after_seconds": OA.integer,
            ], required: ["type", "title", "status", "instance"], closed: false),
            "ContextCreate": OA.object([
                "thread_id": OA.str("The conversation. Printable ASCII, no whitespace or '/', at most 128 bytes, not a placeholder."),
                "run_id": OA.str("The caller's logical run; generated when absent."),
                "websocket_client_id": OA.str("A connection the client wants events tagged with."),
                "agent_context": .object(["type": .string("object"), "description": .string("At most contexts.max_json_bytes serialized; reserved keys refused.")]),
                "audit_metadata": .object(["type": .string("object"), "description": .string("As agent_context; system audit keys are added.")]),
            ], required: ["thread_id"]),
            "ChildCreate": OA.object([
                "operation_name": OA.str("The sub-agent operation."),
                "agent_context": OA.freeObject, "audit_metadata": OA.freeObject,
            ], required: ["operation_name"]),
            "Context": OA.object([
                "id": OA.str("The context id (its request_id)."), "user_id": OA.str(), "thread_id": OA.str(), "run_id": OA.str(),
                "request_id": OA.str(), "websocket_client_id": OA.nullableString("Optional client connection id."),
                "created_at": timestamp, "agent_context": OA.freeObject, "audit_metadata": OA.freeObject,
                "operation_depth": OA.integer, "parent_request_id": OA.nullableString("Set on child contexts."),
            ], required: ["id", "user_id", "thread_id", "run_id", "request_id", "created_at", "operation_depth"], closed: false),
            "AuditTrail": OA.object([
                "correlation_id": OA.str(), "user_id": OA.str(), "thread_id": OA.str(), "run_id": OA.str(), "request_id": OA.str(),
                "websocket_client_id": OA.nullableString("Optional client connection id."), "created_at": timestamp,
                "operation_depth": OA.integer, "parent_request_id": OA.nullableString("Set on child contexts."),
                "context_age_seconds": OA.number, "audit_metadata": OA.freeObject,
            ], closed: false),
            "EngineCreate": OA.object(["context_id": OA.str("One of the caller's contexts.")], required: ["context_id"]),
            "Engine": OA.object([
                "id": id, "context_id": OA.str(), "user_id": OA.str(), "thread_id": OA.str(), "run_id": OA.str(),
                "request_id": OA.str(), "state": OA.enumeration(["active", "running", "cleaning", "cleaned"], "The engine's life."),
                "accepting_runs": OA.boolean, "created_at": timestamp, "expires_at": timestamp, "last_activity_at": timestamp,
                "stats": OA.freeObject, "history_count": OA.integer, "history_capacity": OA.integer,
            ], required: ["id", "state"], closed: false),
            "EngineDetail": .object(["allOf": .array([OA.ref("Engine"), OA.object([
                "runs": .object(["type": .string("array"), "items": OA.ref("RunSummary"), "maxItems": .integer(20),
                                 "description": .string("The 20 newest runs, newest first.")]),
                "links": OA.object(["self": OA.str(), "runs": OA.str("GET /v1/runs?engine_id=<id>: all its runs."),
                                    "runs_next": OA.str("The page after these runs, when there is one.")], required: ["self", "runs"]),
            ], closed: false)])]),
            "EngineList": list("engines", OA.ref("Engine")),
            "ContextSummary": OA.object([
                "id": OA.str("The context id (its request_id)."), "user_id": OA.str(), "thread_id": OA.str(), "run_id": OA.str(),
                "request_id": OA.str(), "websocket_client_id": OA.nullableString("Optional client connection id."),
                "created_at": timestamp, "operation_depth": OA.integer,
                "parent_request_id": OA.nullableString("Set on child contexts."), "links": OA.freeObject,
            ], required: ["id", "user_id", "thread_id", "run_id", "request_id", "created_at", "operation_depth"], closed: false),
            "ContextList": list("contexts", OA.ref("ContextSummary")),
            "RunSummary": .object(["description": .string("A Run without result and error (read them from GET /v1/runs/{id})."),
                                   "allOf": .array([OA.ref("Run")])]),
            "RunList": list("runs", OA.ref("RunSummary")),
            "RunCreate": OA.object([
                "agent": OA.str("An agent name from GET /v1/agents."),
                "input": .object(["description": .string("Any JSON value given to the agent (default {}).")]),
                "if_busy": OA.enumeration(BusyPolicyWords.all, "At the concurrent-run limit: enqueue (default), reject (409) or interrupt the active runs."),
            ], required: ["agent"]),
            "Run": OA.object([
                "id": id, "engine_id": OA.str(), "user_id": OA.str(), "thread_id": OA.str(), "run_id": OA.str(), "agent": OA.str(),
                "state": OA.enumeration(["queued", "running", "cancelling", "completed", "failed", "cancelled", "timed_out"], "The run's state."),
                "reason": OA.nullableString("Why it was cancelled or failed."), "error": OA.nullableString("The failure message."),
                "result": .object(["description": .string("The agent's result, when completed.")]),
                "created_at": timestamp, "started_at": OA.nullableString("When it started."), "ended_at": OA.nullableString("When it ended."),
                "queue_wait_ms": .object(["type": .array([.string("integer"), .string("null")])]),
                "duration_ms": .object(["type": .array([.string("integer"), .string("null")])]),
                "links": OA.freeObject,
            ], required: ["id", "engine_id", "state"], closed: false),
            "Agent": OA.object([
                "name": OA.str(), "kind": OA.enumeration(["builtin", "process"], "Where it runs."), "description": OA.str(),
                "timeout_seconds": .object(["type": .array([.string("number"), .string("null")])]),
            ], closed: false),
            "AgentList": OA.object(["agents": OA.array(OA.ref("Agent"))], required: ["agents"]),
            "Factory": OA.object([
                "metrics": OA.freeObject, "breaker": OA.freeObject, "limits": OA.freeObject, "active_engines": OA.freeObject,
                "shutting_down": OA.boolean,
            ], closed: false),
            "Event": OA.object([
                "id": OA.integer, "type": OA.str(), "user_id": OA.str(), "thread_id": OA.str(), "run_id": OA.str(),
                "execution_id": OA.str(), "request_id": OA.str(), "engine_id": OA.str(), "agent": OA.str(),
                "timestamp": timestamp, "data": OA.freeObject,
            ], closed: false),
        ]
    }
}

extension OpenAPIComponents {
    /// A page of a list: at most 200 items under `name`, and `next` unless it is the last page.
    static func list(_ name: String, _ item: JSONValue) -> JSONValue {
        OA.object([
            name: .object(["type": .string("array"), "items": item, "maxItems": .integer(200)]),
            "next": OA.str("The next page (same filters and limit); absent on the last page."),
        ], required: [name])
    }
}

enum BusyPolicyWords {
    static let all = BusyPolicy.allCases.map(\.rawValue)
}
