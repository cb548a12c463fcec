import ExecutionCore

/// The service's own paths in the OpenAPI document: agents, factory, the document itself,
/// metrics, problem pages and the probes.
extension OpenAPIPaths {
    static func service(_ c: OpenAPIContract) -> [String: JSONValue] {
        let html: (String) -> [String: JSONValue] = { example in
            ["text/html": .object(["schema": OA.str(), "example": .string(example)])]
        }
        let agents: JSONValue = .object(["agents": .array(c.agentNames.prefix(1).map {
            .object(["name": .string($0), "kind": .string("builtin"), "description": .string("Echoes its input back."),
                     "timeout_seconds": .null])
        })])
        return [
            "/v1/agents": .object([
                "get": OA.operation("listAgents", "The agents the configuration offers", tags: ["service"],
                                    responses: ["200": OA.response("The agents.", content: OA.json(OA.ref("AgentList"), example: agents))]),
            ]),
            "/v1/factory": .object([
                "get": OA.operation("getFactory", "Factory metrics, breaker, limits and active engines (role admin)",
                                    tags: ["service"],
                                    responses: ["200": OA.response("The factory.", content: OA.json(OA.ref("Factory")))],
                                    errors: [403]),
            ]),
            "/openapi.json": .object([
                "get": OA.operation("getOpenAPI", "This document (its limits and agents are the running configuration's)",
                                    tags: ["operations"],
                                    responses: ["200": OA.response("The OpenAPI 3.1 document.", content: OA.json(OA.freeObject))],
                                    security: .none),
            ]),
            "/metrics": .object([
                "get": OA.operation("getMetrics", "Prometheus metrics (the bearer token of an admin when metrics.require_admin)",
                                    tags: ["operations"],
                                    responses: ["200": OA.response("Prometheus text format 0.0.4.", content: [
                                        "text/plain": .object(["schema": OA.str(),
                                                               "example": .string("# HELP isolationd_build_info The running isolationd's version and source revision (always 1).\n# TYPE isolationd_build_info gauge\nisolationd_build_info{version=\"0.14.0\",revision=\"unknown\"} 1\n")]),
                                    ])],
                                    errors: [401, 403], security: .none),
            ]),
            "/problems": .object([
                "get": OA.operation("listProblemTypes", "The table of problem types", tags: ["operations"],
                                    responses: ["200": OA.response("An HTML table of every problem type.",
                                                                   content: html("<!doctype html>…"),
                                                                   headers: ["Cache-Control": OA.headerRef("Cache-Control", required: true)])],
                                    security: .none),
            ]),
            "/problems/{name}": .object([
                "parameters": .array([OA.parameter(
                    "name", in: "path", "The last part of a problem's type URI (urn:isolationd:problem:<name>); any other name is 404.",
                    required: true, schema: OA.enumeration(ProblemType.all.map(\.name), "A problem type's name."),
                    example: .string(ProblemType.notFound.name))]),
                "get": OA.operation("getProblemType", "What one problem type means", tags: ["operations"],
                                    responses: ["200": OA.response("A short HTML description.", content: html("<!doctype html>…"),
                                                                   headers: ["Cache-Control": OA.headerRef("Cache-Control", required: true)])],
                                    errors: [404], security: .none),
            ]),
            "/livez": probe("livez", "Liveness: the process is alive", word: "ok"),
            "/healthz": probe("healthz", "Alias of /livez", word: "ok"),
            "/readyz": probe("readyz", "Readiness: 200 once listening, 503 from the first moment of a drain", word: "ready",
                             notReady: "draining"),
        ]
    }

    /// A probe, answered by the HTTP server before routing (so without X-Request-ID): JSON
    /// `{"status": word}`, or with `?verbose` one line per check in plain text.
    static func probe(_ id: String, _ summary: String, word: String, notReady: String? = nil) -> JSONValue {
        func answer(_ description: String, _ word: String) -> JSONValue {
            let schema = OA.object(["status": OA.enumeration([word], "The verdict.")], required: ["status"])
            return OA.response(description, content: [
                "application/json": .object(["schema": schema, "example": .object(["status": .string(word)])]),
                "text/plain": .object(["schema": OA.str("With ?verbose: [+]<check> ok or [-]<check> failed lines, then the verdict."),
                                       "example": .string("[+]ping ok\n\(id) check passed\n")]),
            ], headers: ["Cache-Control": OA.headerRef("Cache-Control", required: true)], requestID: false)
        }
        var responses = ["200": answer("OK.", word)]
        if let notReady { responses["503"] = answer("Not ready (draining).", notReady) }
        let verbose = OA.parameter("verbose", in: "query", "Present (any value): one plain-text line per check instead of JSON.",
                                   schema: .object(["type": .string("string")]))
        return .object(["get": OA.operation(id, summary, tags: ["operations"], parameters: [verbose], responses: responses,
                                            security: .none)])
    }
}
