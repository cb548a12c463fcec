import ExecutionCore

/// The `components` of the OpenAPI document: the schemas (request bodies carry every rule the
/// routes and the context policy enforce), the shared answers and headers, the security schemes.
enum OpenAPIComponents {
    static func value(_ contract: OpenAPIContract) -> JSONValue {
        .object([
            "securitySchemes": OpenAPIResponses.securitySchemes,
            "schemas": .object(requestSchemas(contract).merging(resourceSchemas) { a, _ in a }),
            "responses": .object(OpenAPIResponses.responses),
        ])
    }

    /// What the operations take. Unknown members are refused (422 naming them), so every body is
    /// closed; optional members may also be null (the same as absent).
    static func requestSchemas(_ c: OpenAPIContract) -> [String: JSONValue] {
        let reserved = c.reservedKeys
        let auditRefused = reserved + ContextPolicy.systemAuditKeys.sorted().filter { !reserved.contains($0) }
        let agentContext = c.callerObject("Data for the agent.", refusing: reserved)
        let auditMetadata = c.callerObject("Audit data; the system adds its own keys.", refusing: auditRefused)
        return [
            "ContextCreate": OA.object([
                "thread_id": c.contextIdentifier("The conversation."),
                "run_id": c.contextIdentifier("The caller's logical run; generated when absent or null.", nullable: true),
                "websocket_client_id": c.contextIdentifier("A connection the client wants events tagged with.", nullable: true),
                "agent_context": agentContext, "audit_metadata": auditMetadata,
            ], required: ["thread_id"]),
            "ChildCreate": OA.object([
                "operation_name": .object([
                    "type": .string("string"), "minLength": .integer(1), "maxLength": .integer(Int64(c.maxIdentifierBytes)),
                    // Not only spaces, and no control character (tabs and line breaks included).
                    "pattern": .string("^[^\\u0000-\\u001f\\u007f]*[^\\u0000-\\u001f\\u007f ][^\\u0000-\\u001f\\u007f]*$"),
                    "description": .string("The sub-agent operation: free text, 1 to \(c.maxIdentifierBytes) characters, not only spaces, no control characters. A context at depth \(c.maxDepth) (contexts.max_depth) has no children (422)."),
                ]),
                "agent_context": c.callerObject("Added to a copy of the parent's agent_context.", refusing: reserved),
                "audit_metadata": c.callerObject("Added to a copy of the parent's audit_metadata.", refusing: auditRefused),
            ], required: ["operation_name"]),
            "EngineCreate": OA.object([
                "context_id": .object(["allOf": .array([c.plausibleID]),
                                       "description": .string("One of the caller's contexts (any other id is 404).")]),
            ], required: ["context_id"]),
            "RunCreate": OA.object([
                "agent": OA.enumeration(c.agentNames, "A configured agent (GET /v1/agents)."),
                "input": .object(["description": .string("Any JSON value given to the agent (absent or null: {}); at most \(c.maxRunInputBytes) bytes as JSON (engines.max_run_input_bytes), else 413.")]),
                "if_busy": .object([
                    "type": .array([.string("string"), .string("null")]),
                    "enum": .array(BusyPolicy.allCases.map { .string($0.rawValue) } + [.null]),
                    "description": .string("At the concurrent-run limit: enqueue (default), reject (409) or interrupt the active runs."),
                ]),
            ], required: ["agent"]),
            "CancelRequest": .object(["type": .string("object"), "maxProperties": .integer(0),
                                      "description": .string("Nothing to say: an empty object (or no body).")]),
        ]
    }

    /// What the operations answer.
    static var resourceSchemas: [String: JSONValue] {
        let identity: [String: JSONValue] = [
            "user_id": OA.str("The credential's user."), "thread_id": OA.str(), "run_id": OA.str(),
            "request_id": OA.serverID, "websocket_client_id": OA.nullableString("Optional client connection id."),
        ]
        let contextCore = identity.merging([
            "id": OA.serverID, "created_at": OA.timestamp, "operation_depth": OA.count,
            "parent_request_id": .object(["type": .array([.string("string"), .string("null")]), "format": .string("uuid"),
                                          "description": .string("Set on child contexts.")]),
        ]) { a, _ in a }
        let contextRequired = ["id", "user_id", "thread_id", "run_id", "request_id", "created_at", "operation_depth"]
        return [
            "Problem": OA.object([
                "type": OA.str("urn:isolationd:problem:<name>: one per kind of problem, the same in every layer; GET /problems/<name> describes it (GET /problems lists them all)."),
                "title": OA.str("The type's fixed title."), "status": .object(["type": .string("integer"), "minimum": .integer(400), "maximum": .integer(599)]),
                "detail": OA.str("What to fix."),
                "instance": .object(["type": .string("string"), "pattern": .string("^urn:isolationd:request:"),
                                     "description": .string("urn:isolationd:request:<id>, where <id> is this answer's X-Request-ID.")]),
                "field": OA.str("The offending member or parameter, for validation problems."),
                "retry_after_seconds": OA.count,
            ], required: ["type", "title", "status"], closed: false),
            "Context": OA.object(contextCore.merging(["agent_context": OA.freeObject, "audit_metadata": OA.freeObject]) { a, _ in a },
                                 required: contextRequired + ["agent_context", "audit_metadata"], closed: false),
            "ContextSummary": OA.object(contextCore.merging(["links": OA.freeObject]) { a, _ in a },
                                        required: contextRequired, closed: false),
            "ContextList": list("contexts", OA.ref("ContextSummary")),
            "AuditTrail": OA.object(identity.merging([
                "correlation_id": OA.str(), "created_at": OA.timestamp, "operation_depth": OA.count,
                "parent_request_id": OA.nullableString("Set on child contexts."),
                "context_age_seconds": OA.number, "audit_metadata": OA.freeObject,
            ]) { a, _ in a }, required: ["correlation_id", "user_id", "request_id", "audit_metadata"], closed: false),
            "Engine": OA.object(identity.merging([
                "id": OA.serverID, "context_id": OA.serverID,
                "state": OA.enumeration(EngineState.allCases.map(\.rawValue), "The engine's life."),
                "accepting_runs": OA.boolean, "created_at": OA.timestamp, "expires_at": OA.timestamp,
                "last_activity_at": OA.timestamp, "stats": OA.freeObject, "history_count": OA.count, "history_capacity": OA.count,
            ]) { a, _ in a }, required: ["id", "context_id", "user_id", "state", "accepting_runs", "created_at"], closed: false),
            "EngineDetail": .object(["allOf": .array([OA.ref("Engine"), OA.object([
                "runs": .object(["type": .string("array"), "items": OA.ref("RunSummary"),
                                 "maxItems": .integer(Int64(EngineRoutes.recentRunsInRead)),
                                 "description": .string("The \(EngineRoutes.recentRunsInRead) newest runs, newest first.")]),
                "links": OA.object(["self": OA.str(), "runs": OA.str("GET /v1/runs?engine_id=<id>: all its runs."),
                                    "runs_next": OA.str("The page after these runs, when there is one.")], required: ["self", "runs"]),
            ], required: ["runs", "links"], closed: false)])]),
            "EngineList": list("engines", OA.ref("Engine")),
            "Run": OA.object(identity.filter { $0.key != "request_id" && $0.key != "websocket_client_id" }.merging([
                "id": OA.serverID, "engine_id": OA.serverID, "agent": OA.str(),
                "state": OA.enumeration(RunRoutes.stateWords, "The run's state."),
                "reason": OA.nullableString("Why it was cancelled or failed."), "error": OA.nullableString("The failure message."),
                "result": .object(["description": .string("The agent's result, when completed (else null).")]),
                "created_at": OA.timestamp, "started_at": OA.nullableTimestamp, "ended_at": OA.nullableTimestamp,
                "queue_wait_ms": .object(["type": .array([.string("integer"), .string("null")])]),
                "duration_ms": .object(["type": .array([.string("integer"), .string("null")])]),
                "links": OA.freeObject,
            ]) { a, _ in a }, required: ["id", "engine_id", "user_id", "agent", "state", "created_at", "links"], closed: false),
            "RunSummary": .object(["description": .string("A Run without result and error (read them from GET /v1/runs/{id})."),
                                   "allOf": .array([OA.ref("Run")])]),
            "RunList": list("runs", OA.ref("RunSummary")),
            "Agent": OA.object([
                "name": OA.str(), "kind": OA.enumeration(["builtin", "process"], "Where it runs."), "description": OA.str(),
                "timeout_seconds": .object(["type": .array([.string("number"), .string("null")])]),
            ], required: ["name", "kind"], closed: false),
            "AgentList": OA.object(["agents": OA.array(OA.ref("Agent"))], required: ["agents"]),
            "Factory": OA.object([
                "metrics": OA.freeObject, "breaker": OA.freeObject, "limits": OA.freeObject, "active_engines": OA.freeObject,
                "shutting_down": OA.boolean,
            ], required: ["metrics", "breaker", "limits", "active_engines", "shutting_down"], closed: false),
            "Event": OA.object([
                "id": OA.count, "type": OA.str("agent_started, agent_thinking, tool_executing, tool_completed, agent_completed, agent_error, run_queued, run_cancelled, run_timed_out."),
                "user_id": OA.str(), "thread_id": OA.str(), "run_id": OA.str(), "execution_id": OA.str(), "request_id": OA.str(),
                "engine_id": OA.str(), "agent": OA.str(), "timestamp": OA.timestamp, "data": OA.freeObject,
            ], closed: false),
        ]
    }

    /// A page of a list: at most `ListQuery.maxLimit` items under `name`, and `next` unless it is
    /// the last page.
    static func list(_ name: String, _ item: JSONValue) -> JSONValue {
        OA.object([
            name: .object(["type": .string("array"), "items": item, "maxItems": .integer(Int64(ListQuery.maxLimit))]),
            "next": .object(["type": .string("string"), "pattern": .string("^/v1/"),
                             "description": .string("The next page (same filters and limit); absent on the last page.")]),
        ], required: [name])
    }
}
