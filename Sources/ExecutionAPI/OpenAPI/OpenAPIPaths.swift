import ExecutionCore

/// The `paths` of the OpenAPI document, one entry per route.
enum OpenAPIPaths {
    static var all: [String: JSONValue] {
        var paths: [String: JSONValue] = [:]
        paths.merge(contexts) { a, _ in a }
        paths.merge(engines) { a, _ in a }
        paths.merge(runs) { a, _ in a }
        paths.merge(events) { a, _ in a }
        paths.merge(service) { a, _ in a }
        paths.merge(OpenAPIUsage.paths) { a, _ in a }
        return paths
    }

    /// `limit` and `cursor`, then a list operation answering `schema` (with its `next` link).
    static let pageParameters = [
        OA.parameter("limit", in: "query", "Items per page (default 50).",
                     schema: .object(["type": .string("integer"), "minimum": .integer(1), "maximum": .integer(200), "default": .integer(50)])),
        OA.parameter("cursor", in: "query", "Where the page starts: the cursor of a previous page's next link (opaque)."),
    ]

    static func listOperation(_ id: String, _ summary: String, tags: [String], filters: [JSONValue] = [],
                              returns description: String, schema: String) -> JSONValue {
        let linkHeader = OA.header("<next page>; rel=\"next\", absent on the last page.")
        return OA.operation(id, summary, tags: tags, parameters: filters + pageParameters,
                            responses: OA.withCommonErrors(["200": OA.response(description, schema: OA.ref(schema),
                                                                               headers: ["Link": linkHeader]),
                                                            "422": OA.problem("Validation")]))
    }

    static var contexts: [String: JSONValue] {
        [
            "/v1/contexts": .object([
                "get": listOperation("listContexts", "The caller's live contexts, newest first (summaries)", tags: ["contexts"],
                                     returns: "A page of context summaries.", schema: "ContextList"),
                "post": OA.createOperation("createContext", "Create an execution context for the caller", tags: ["contexts"],
                                           body: "ContextCreate", returns: "The context.", schema: "Context",
                                           errors: ["400", "409", "413", "415", "422", "429"]),
            ]),
            "/v1/contexts/{id}": OA.idPath("context", [
                "get": OA.readOperation("getContext", "Read one of the caller's contexts", tags: ["contexts"],
                                        returns: "The context.", schema: "Context"),
                "delete": OA.operation("deleteContext", "Delete a context and its descendants (child contexts); engines bound to any of them are cleaned and their runs cancelled",
                                       tags: ["contexts"],
                                       responses: OA.withCommonErrors(["204": OA.response("Deleted."), "404": OA.problem("NotFound")])),
            ]),
            "/v1/contexts/{id}/children": OA.idPath("context", [
                "post": OA.createOperation("createChildContext", "Derive a child context for a sub-agent (depth + 1)",
                                           tags: ["contexts"], idempotent: false, body: "ChildCreate",
                                           returns: "The child context.", schema: "Context",
                                           errors: ["400", "404", "413", "415", "422", "429"]),
            ]),
            "/v1/contexts/{id}/audit": OA.idPath("context", [
                "get": OA.readOperation("getContextAudit", "The context's audit trail", tags: ["contexts"],
                                        returns: "The audit trail.", schema: "AuditTrail"),
            ]),
        ]
    }

    static var engines: [String: JSONValue] {
        [
            "/v1/engines": .object([
                "post": OA.createOperation("createEngine", "Spawn an engine bound to one of the caller's contexts",
                                           tags: ["engines"], body: "EngineCreate", returns: "The engine.", schema: "Engine",
                                           errors: ["400", "404", "409", "415", "422", "429", "503"]),
                "get": listOperation("listEngines", "The caller's engines, newest first", tags: ["engines"],
                                     returns: "A page of engines.", schema: "EngineList"),
            ]),
            "/v1/engines/{id}": OA.idPath("engine", [
                "get": OA.readOperation("getEngine", "An engine's state, stats and its 20 newest runs (summaries; the rest through links.runs)", tags: ["engines"],
                                        returns: "The engine.", schema: "EngineDetail"),
                "delete": OA.operation("deleteEngine", "Clean an engine; its live runs end cancelled (reason engine_cleaned)",
                                       tags: ["engines"],
                                       responses: OA.withCommonErrors(["204": OA.response("Cleaned (or already cleaned)."),
                                                                       "404": OA.problem("NotFound")])),
            ]),
            "/v1/engines/{id}/runs": OA.idPath("engine", [
                "post": OA.createOperation("startRun", "Start (or queue) an agent run on the engine", tags: ["runs"],
                                           body: "RunCreate", status: "202", returns: "The run, running or queued.",
                                           schema: "Run", errors: ["400", "404", "409", "413", "415", "422", "429"]),
            ]),
        ]
    }

    static var runs: [String: JSONValue] {
        let filters = [
            OA.parameter("engine_id", in: "query", "Only runs of this engine."),
            OA.parameter("thread_id", in: "query", "Only runs of engines bound to contexts of this thread."),
            OA.parameter("state", in: "query", "Only runs in this state.",
                         schema: OA.enumeration(RunRoutes.stateWords, "A run state.")),
        ]
        return [
            "/v1/runs": .object([
                "get": listOperation("listRuns", "The caller's runs (live, and ended ones their engines keep), newest first (summaries, no results)",
                                     tags: ["runs"], filters: filters, returns: "A page of run summaries.", schema: "RunList"),
            ]),
            "/v1/runs/{id}": OA.idPath("run", [
                "get": OA.readOperation("getRun", "A run's record: state, timings, result or reason", tags: ["runs"],
                                        returns: "The run.", schema: "Run"),
            ]),
            "/v1/runs/{id}/cancel": OA.idPath("run", [
                "post": OA.operation("cancelRun", "Cancel a run (idempotent; the agent's process group is killed)", tags: ["runs"],
                                     body: OA.jsonBody(OA.object([:]), required: false),
                                     responses: OA.withCommonErrors([
                                        "200": OA.response("The run is terminal (now or before).", schema: OA.ref("Run")),
                                        "202": OA.response("The run is cancelling.", schema: OA.ref("Run")),
                                        "404": OA.problem("NotFound"),
                                     ])),
            ]),
        ]
    }

    static var events: [String: JSONValue] {
        let filters = [
            OA.parameter("thread_id", in: "query", "Only events of this thread."),
            OA.parameter("run_id", in: "query", "Only events of this logical run (the context's run_id)."),
            OA.parameter("execution_id", in: "query", "Only events of this run (/v1/runs/{id})."),
            OA.parameter("after", in: "query", "Resume after this event id (like Last-Event-ID).", schema: OA.integer),
            OA.parameter("Last-Event-ID", in: "header", "Resume after this event id; a gap event says when it fell out of the replay ring."),
        ]
        let sse = OA.response("A text/event-stream of the caller's events (: ping comments keep it open).",
                              schema: OA.str("Server-sent events; each data line is an Event."), mediaType: "text/event-stream")
        return [
            "/v1/events": .object([
                "get": OA.operation("streamEvents", "Stream the caller's events (SSE)", tags: ["events"], parameters: filters,
                                    responses: OA.withCommonErrors(["200": sse, "429": OA.problem("TooManyRequests")])),
            ]),
            "/v1/runs/{id}/events": OA.idPath("run", [
                "get": OA.operation("streamRunEvents", "Stream one run's events (SSE)", tags: ["events"],
                                    parameters: Array(filters.suffix(2)),
                                    responses: OA.withCommonErrors(["200": sse, "404": OA.problem("NotFound"),
                                                                    "429": OA.problem("TooManyRequests")])),
            ]),
            "/v1/events/ws": .object([
                "get": OA.operation("streamEventsWebSocket", "Stream the caller's events over a WebSocket (one JSON event per text message)",
                                    tags: ["events"], parameters: Array(filters.prefix(4)),
                                    responses: OA.withCommonErrors(["101": OA.response("Switching to the WebSocket protocol."),
                                                                    "426": OA.problem("Problem"),
                                                                    "429": OA.problem("TooManyRequests")])),
            ]),
        ]
    }

    static var service: [String: JSONValue] {
        let probe: (String, String) -> JSONValue = { id, summary in
            .object(["get": OA.operation(id, summary, tags: ["operations"],
                                         parameters: [OA.parameter("verbose", in: "query", "List each check on its own line.")],
                                         responses: ["200": OA.response("OK.", schema: OA.str(), mediaType: "text/plain"),
                                                     "503": OA.response("Not ready (draining).", schema: OA.str(), mediaType: "text/plain")],
                                         secured: false)])
        }
        return [
            "/v1/agents": .object([
                "get": OA.operation("listAgents", "The agents the configuration offers", tags: ["service"],
                                    responses: OA.withCommonErrors(["200": OA.response("The agents.", schema: OA.ref("AgentList"))])),
            ]),
            "/v1/factory": .object([
                "get": OA.operation("getFactory", "Factory metrics, breaker, limits and active engines (role admin)",
                                    tags: ["service"],
                                    responses: OA.withCommonErrors(["200": OA.response("The factory.", schema: OA.ref("Factory")),
                                                                    "403": OA.problem("Forbidden")])),
            ]),
            "/openapi.json": .object([
                "get": OA.operation("getOpenAPI", "This document", tags: ["operations"],
                                    responses: ["200": OA.response("The OpenAPI 3.1 document.", schema: OA.freeObject)], secured: false),
            ]),
            "/metrics": .object([
                "get": OA.operation("getMetrics", "Prometheus metrics (role admin when metrics.require_admin)", tags: ["operations"],
                                    responses: ["200": OA.response("Prometheus text format 0.0.4.", schema: OA.str(), mediaType: "text/plain"),
                                                "401": OA.problem("Unauthorized"), "403": OA.problem("Forbidden")],
                                    secured: false),
            ]),
            "/problems": .object([
                "get": OA.operation("listProblemTypes", "The table of problem types", tags: ["operations"],
                                    responses: ["200": OA.response("An HTML table of every problem type.", schema: OA.str(),
                                                                   mediaType: "text/html")], secured: false),
            ]),
            "/problems/{name}": .object([
                "parameters": .array([OA.parameter("name", in: "path", "The last part of a problem's type URI (urn:isolationd:problem:<name>).",
                                                   required: true)]),
                "get": OA.operation("getProblemType", "What one problem type means", tags: ["operations"],
                                    responses: ["200": OA.response("A short HTML description.", schema: OA.str(), mediaType: "text/html"),
                                                "404": OA.problem("NotFound")], secured: false),
            ]),
            "/livez": probe("livez", "Liveness: the process is alive"),
            "/healthz": probe("healthz", "Alias of /livez"),
            "/readyz": probe("readyz", "Readiness: 200 once listening, 503 from the first moment of a drain"),
        ]
    }
}
