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
        return paths
    }

    static var contexts: [String: JSONValue] {
        [
            "/v1/contexts": .object([
                "post": OA.operation("createContext", "Create an execution context for the caller", tags: ["contexts"],
                                     parameters: [OA.idempotencyKey], body: OA.jsonBody(OA.ref("ContextCreate")),
                                     responses: OA.withCommonErrors([
                                        "201": OA.response("The context.", schema: OA.ref("Context"), headers: ["Location": OA.locationHeader]),
                                        "400": OA.problem("BadRequest"), "409": OA.problem("Conflict"), "413": OA.problem("TooLarge"),
                                        "415": OA.problem("UnsupportedMediaType"), "422": OA.problem("Validation"),
                                        "429": OA.problem("TooManyRequests"),
                                     ])),
            ]),
            "/v1/contexts/{id}": .object([
                "parameters": .array([OA.idParameter("context")]),
                "get": OA.operation("getContext", "Read one of the caller's contexts", tags: ["contexts"],
                                    responses: OA.withCommonErrors(["200": OA.response("The context.", schema: OA.ref("Context")),
                                                                    "404": OA.problem("NotFound")])),
                "delete": OA.operation("deleteContext", "Delete a context; engines bound to it are cleaned and their runs cancelled",
                                       tags: ["contexts"],
                                       responses: OA.withCommonErrors(["204": OA.response("Deleted."), "404": OA.problem("NotFound")])),
            ]),
            "/v1/contexts/{id}/children": .object([
                "parameters": .array([OA.idParameter("context")]),
                "post": OA.operation("createChildContext", "Derive a child context for a sub-agent (depth + 1)", tags: ["contexts"],
                                     body: OA.jsonBody(OA.ref("ChildCreate")),
                                     responses: OA.withCommonErrors([
                                        "201": OA.response("The child context.", schema: OA.ref("Context"), headers: ["Location": OA.locationHeader]),
                                        "400": OA.problem("BadRequest"), "404": OA.problem("NotFound"), "413": OA.problem("TooLarge"),
                                        "415": OA.problem("UnsupportedMediaType"), "422": OA.problem("Validation"),
                                        "429": OA.problem("TooManyRequests"),
                                     ])),
            ]),
            "/v1/contexts/{id}/audit": .object([
                "parameters": .array([OA.idParameter("context")]),
                "get": OA.operation("getContextAudit", "The context's audit trail", tags: ["contexts"],
                                    responses: OA.withCommonErrors(["200": OA.response("The audit trail.", schema: OA.ref("AuditTrail")),
                                                                    "404": OA.problem("NotFound")])),
            ]),
        ]
    }

    static var engines: [String: JSONValue] {
        [
            "/v1/engines": .object([
                "post": OA.operation("createEngine", "Spawn an engine bound to one of the caller's contexts", tags: ["engines"],
                                     parameters: [OA.idempotencyKey], body: OA.jsonBody(OA.ref("EngineCreate")),
                                     responses: OA.withCommonErrors([
                                        "201": OA.response("The engine.", schema: OA.ref("Engine"), headers: ["Location": OA.locationHeader]),
                                        "400": OA.problem("BadRequest"), "404": OA.problem("NotFound"), "409": OA.problem("Conflict"),
                                        "415": OA.problem("UnsupportedMediaType"), "422": OA.problem("Validation"),
                                        "429": OA.problem("TooManyRequests"), "503": OA.problem("Unavailable"),
                                     ])),
                "get": OA.operation("listEngines", "The caller's engines", tags: ["engines"],
                                    responses: OA.withCommonErrors(["200": OA.response("The engines.", schema: OA.ref("EngineList"))])),
            ]),
            "/v1/engines/{id}": .object([
                "parameters": .array([OA.idParameter("engine")]),
                "get": OA.operation("getEngine", "An engine's state, stats and runs", tags: ["engines"],
                                    responses: OA.withCommonErrors(["200": OA.response("The engine.", schema: OA.ref("EngineDetail")),
                                                                    "404": OA.problem("NotFound")])),
                "delete": OA.operation("deleteEngine", "Clean an engine; its live runs end cancelled (reason engine_cleaned)",
                                       tags: ["engines"],
                                       responses: OA.withCommonErrors(["204": OA.response("Cleaned (or already cleaned)."),
                                                                       "404": OA.problem("NotFound")])),
            ]),
            "/v1/engines/{id}/runs": .object([
                "parameters": .array([OA.idParameter("engine")]),
                "post": OA.operation("startRun", "Start (or queue) an agent run on the engine", tags: ["runs"],
                                     parameters: [OA.idempotencyKey], body: OA.jsonBody(OA.ref("RunCreate")),
                                     responses: OA.withCommonErrors([
                                        "202": OA.response("The run, running or queued.", schema: OA.ref("Run"),
                                                           headers: ["Location": OA.locationHeader]),
                                        "400": OA.problem("BadRequest"), "404": OA.problem("NotFound"),
                                        "409": OA.problem("Conflict"), "413": OA.problem("TooLarge"),
                                        "415": OA.problem("UnsupportedMediaType"), "422": OA.problem("Validation"),
                                        "429": OA.problem("TooManyRequests"),
                                     ])),
            ]),
        ]
    }

    static var runs: [String: JSONValue] {
        [
            "/v1/runs/{id}": .object([
                "parameters": .array([OA.idParameter("run")]),
                "get": OA.operation("getRun", "A run's record: state, timings, result or reason", tags: ["runs"],
                                    responses: OA.withCommonErrors(["200": OA.response("The run.", schema: OA.ref("Run")),
                                                                    "404": OA.problem("NotFound")])),
            ]),
            "/v1/runs/{id}/cancel": .object([
                "parameters": .array([OA.idParameter("run")]),
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
            "/v1/runs/{id}/events": .object([
                "parameters": .array([OA.idParameter("run")]),
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
            "/livez": probe("livez", "Liveness: the process is alive"),
            "/healthz": probe("healthz", "Alias of /livez"),
            "/readyz": probe("readyz", "Readiness: 200 once listening, 503 from the first moment of a drain"),
        ]
    }
}
