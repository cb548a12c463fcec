import ExecutionCore

/// The run and event-stream paths of the OpenAPI document.
extension OpenAPIPaths {
    static func runs(_ c: OpenAPIContract) -> [String: JSONValue] {
        let filters = [
            OA.parameter("engine_id", in: "query", "Only runs of this engine (an id, else 422).", schema: c.plausibleID,
                         example: .string(OpenAPIExamples.engineID)),
            OA.parameter("thread_id", in: "query", "Only runs of engines bound to contexts of this thread (an id, else 422).",
                         schema: c.plausibleID),
            OA.parameter("state", in: "query", "Only runs in this state (else 422).",
                         schema: OA.enumeration(RunRoutes.stateWords, "A run state.")),
        ]
        let run = OA.json(OA.ref("Run"), example: OpenAPIExamples.run)
        return [
            "/v1/runs": .object([
                "get": listOperation("listRuns", "The caller's runs (live, and ended ones their engines keep), newest first (summaries, no results)",
                                     list: "runs", tags: ["runs"], filters: filters, returns: "A page of run summaries.",
                                     schema: "RunList", example: OpenAPIExamples.run),
            ]),
            "/v1/runs/{id}": OA.idPath("run", c, [
                "get": readOperation("getRun", "A run's record: state, timings, result or reason", tags: ["runs"],
                                     returns: "The run.", schema: "Run", example: OpenAPIExamples.run),
            ]),
            "/v1/runs/{id}/cancel": OA.idPath("run", c, [
                "post": OA.operation("cancelRun", "Cancel a run (idempotent; the agent's process group is killed)", tags: ["runs"],
                                     body: OA.jsonBody(OA.ref("CancelRequest"), example: .object([:]), required: false),
                                     responses: ["200": OA.response("The run is terminal (now or before).", content: run),
                                                 "202": OA.response("The run is cancelling.", content: run)],
                                     errors: [400, 404, 413, 415, 422]),
            ]),
        ]
    }

    /// Where a stream resumes (`StreamRequestParsing.cursor`): an event id, 0 to 2^64-1.
    static func resumeParameters() -> [JSONValue] {
        // Decimal digits as text: JSON numbers here would pass through doubles, which cannot
        // hold 2^64-1 exactly.
        let eventID: JSONValue = .object(["type": .string("string"),
                                          "pattern": .string("^" + DecimalPattern.notAbove(UInt64.max) + "$"),
                                          "description": .string("An event id: decimal digits, 0 to 18446744073709551615.")])
        return [
            OA.parameter("after", in: "query", "Resume after this event id (like Last-Event-ID; else 422).", schema: eventID,
                         example: .string("17")),
            OA.parameter("last_event_id", in: "query", "Resume after this event id (beats after; else 422).", schema: eventID),
            OA.parameter("Last-Event-ID", in: "header",
                         "Resume after this event id (what a reconnecting EventSource sends; beats the query). Empty: no id yet. At most once (else 400), an event id (else 422). A gap event says when the id fell out of the replay ring.",
                         schema: .object(["type": .string("string"),
                                          "pattern": .string("^" + DecimalPattern.notAbove(UInt64.max) + "?$")])),
        ]
    }

    static func events(_ c: OpenAPIContract) -> [String: JSONValue] {
        let filters = [
            OA.parameter("thread_id", in: "query", "Only events of this thread (an id, else 422).", schema: c.plausibleID),
            OA.parameter("run_id", in: "query", "Only events of this logical run (the context's run_id; an id, else 422).",
                         schema: c.plausibleID),
            OA.parameter("execution_id", in: "query", "Only events of this run (/v1/runs/{id}; an id, else 422).",
                         schema: c.plausibleID),
        ]
        let sse = OA.response(
            "A text/event-stream of the caller's events: each event's id, its type as the event name, and an Event as its data; : ping comments keep it open, a gap event reports events that fell out of the replay ring.",
            content: ["text/event-stream": .object(["schema": sseEvent, "example": .string(OpenAPIExamples.event)])],
            headers: ["Cache-Control": OA.headerRef("Cache-Control", required: true)])
        let upgrade = [
            OA.parameter("Upgrade", in: "header", "websocket (a token of the list, any case; else 400).", required: true,
                         schema: tokenList("websocket"), example: .string("websocket")),
            OA.parameter("Connection", in: "header", "Upgrade (a token of the list, any case; else 400).", required: true,
                         schema: tokenList("upgrade"), example: .string("Upgrade")),
            OA.parameter("Sec-WebSocket-Version", in: "header", "13, the one version spoken (another is 426).", required: true,
                         schema: .object(["type": .string("string"), "pattern": .string("^13$")]), example: .string("13")),
            OA.parameter("Sec-WebSocket-Key", in: "header", "A base64-encoded 16-byte nonce (else 400).", required: true,
                         schema: .object(["type": .string("string"), "pattern": .string("^[A-Za-z0-9+/]{21}[AQgw]==$")]),
                         example: .string("dGhlIHNhbXBsZSBub25jZQ==")),
        ]
        return [
            "/v1/events": .object([
                "get": OA.operation("streamEvents", "Stream the caller's events (SSE)", tags: ["events"],
                                    parameters: filters + resumeParameters(), responses: ["200": sse], errors: [400, 422],
                                    security: .eventSource),
            ]),
            "/v1/runs/{id}/events": OA.idPath("run", c, [
                "get": OA.operation("streamRunEvents", "Stream one run's events (SSE), from its start to its terminal event",
                                    tags: ["events"], parameters: resumeParameters(), responses: ["200": sse],
                                    errors: [400, 404, 422], security: .eventSource),
            ]),
            "/v1/events/ws": .object([
                "get": OA.operation("streamEventsWebSocket", "Stream the caller's events over a WebSocket (one JSON event per text message; subscribe messages re-filter)",
                                    tags: ["events"], parameters: upgrade + filters + resumeParameters(),
                                    responses: ["101": OA.response("Switching to the WebSocket protocol (RFC 6455); the bearer subprotocol is selected when offered.",
                                                                   requestID: false)],
                                    errors: [400, 422, 426], security: .webSocket),
            ]),
        ]
    }

    /// One server-sent event, as the stream frames it: an engine's event (its id, its type as the
    /// event name, the Event as JSON data), or a notice (gap, then error or server_shutdown at a
    /// stream's forced end) without id.
    static var sseEvent: JSONValue {
        let names = EventType.allCases.map(\.rawValue) + ["gap", "error", "server_shutdown"]
        return OA.object([
            "event": OA.enumeration(names, "The event's type, or a notice."),
            "id": .object(["type": .string("string"), "pattern": .string("^[0-9]+$"), "description": .string("The event id (resume after it).")]),
            "data": .object(["type": .string("string"), "contentMediaType": .string("application/json"),
                             "description": .string("An Event (components/schemas/Event) or a notice, as JSON.")]),
            "retry": .object(["type": .string("integer"), "minimum": .integer(0)]),
        ], required: ["event", "data"], closed: false)
    }

    /// A comma-separated header list holding `token` in any case (`HTTPHeaders.listContains`).
    static func tokenList(_ token: String) -> JSONValue {
        let anyCase = token.map { "[" + $0.uppercased() + $0.lowercased() + "]" }.joined()
        return .object(["type": .string("string"), "pattern": .string("^(?:.*,)?[ \\t]*" + anyCase + "[ \\t]*(?:,.*)?$")])
    }
}
