import ExecutionCore

/// The `paths` of the OpenAPI document, one entry per route: a new route is one more entry in
/// its group (an `OA.operation` naming its answers and the statuses of its problems).
enum OpenAPIPaths {
    static func all(_ contract: OpenAPIContract) -> [String: JSONValue] {
        var paths: [String: JSONValue] = [:]
        for group in [contexts(contract), engines(contract), runs(contract), events(contract), service(contract),
                      OpenAPIUsage.paths] {
            paths.merge(group) { a, _ in a }
        }
        return paths
    }

    /// `limit` and `cursor` of `list` (`ListQuery`, `ListCursor`).
    static func pageParameters(list: String) -> [JSONValue] {
        [
            OA.parameter("limit", in: "query", "Items per page (default \(ListQuery.defaultLimit)); anything else is 422.",
                         schema: .object(["type": .string("integer"), "minimum": .integer(1),
                                          "maximum": .integer(Int64(ListQuery.maxLimit)),
                                          "default": .integer(Int64(ListQuery.defaultLimit))]),
                         example: .integer(20)),
            OA.parameter("cursor", in: "query",
                         "Where the page starts: the cursor of a previous page's next link of this list (opaque to clients); anything else is 422.",
                         schema: .object(["type": .string("string"), "pattern": .string(ListCursor.pattern(list: list))])),
        ]
    }

    static func listOperation(_ id: String, _ summary: String, list: String, tags: [String], filters: [JSONValue] = [],
                              returns description: String, schema: String, example: JSONValue) -> JSONValue {
        OA.operation(id, summary, tags: tags, parameters: filters + pageParameters(list: list),
                     responses: ["200": OA.response(description, content: OA.json(OA.ref(schema), example: .object([list: .array([example])])),
                                                    headers: ["Link": OA.headerRef("Link")])],
                     errors: [422])
    }

    /// A `get` that answers one of the caller's resources (200), or 404 as for an unknown id.
    static func readOperation(_ id: String, _ summary: String, tags: [String], returns description: String,
                              schema: String, example: JSONValue) -> JSONValue {
        OA.operation(id, summary, tags: tags,
                     responses: ["200": OA.response(description, content: OA.json(OA.ref(schema), example: example))],
                     errors: [404])
    }

    /// A `post` that creates a resource from a JSON body: `status` with the resource and its
    /// `Location` (and `Idempotent-Replayed` on a replay), or the problems of `errors`.
    static func createOperation(_ id: String, _ summary: String, tags: [String], idempotent: Bool = true,
                                body: String, bodyExample: JSONValue, status: String = "201", returns description: String,
                                schema: String, example: JSONValue, errors: [Int]) -> JSONValue {
        var headers = ["Location": OA.headerRef("Location", required: true)]
        if idempotent { headers["Idempotent-Replayed"] = OA.headerRef("Idempotent-Replayed") }
        return OA.operation(id, summary, tags: tags, parameters: idempotent ? [OA.idempotencyKey] : [],
                            body: OA.jsonBody(OA.ref(body), example: bodyExample),
                            responses: [status: OA.response(description, content: OA.json(OA.ref(schema), example: example),
                                                            headers: headers)],
                            errors: errors + (idempotent ? [409] : []))
    }

    /// Follow-up requests a client (or a stateful tester) makes with an id from an answer.
    static func links(_ targets: [(name: String, operation: String)], id expression: String = "$response.body#/id") -> JSONValue {
        var links: JSONObject = [:]
        for target in targets {
            links[target.name] = .object(["operationId": .string(target.operation),
                                          "parameters": .object(["id": .string(expression)])])
        }
        return .object(links)
    }

    static func contexts(_ c: OpenAPIContract) -> [String: JSONValue] {
        var create = OpenAPIPaths.createOperation(
            "createContext", "Create an execution context for the caller", tags: ["contexts"], body: "ContextCreate",
            bodyExample: OpenAPIExamples.contextCreate, returns: "The context.", schema: "Context",
            example: OpenAPIExamples.context, errors: [400, 413, 415, 422])
        var contextLinks = links([("GetContext", "getContext"), ("GetContextAudit", "getContextAudit"),
                                  ("CreateChildContext", "createChildContext"), ("DeleteContext", "deleteContext")])
        if case .object(var members) = contextLinks {
            members["CreateEngine"] = .object(["operationId": .string("createEngine"),
                                               "requestBody": .object(["context_id": .string("$response.body#/id")])])
            contextLinks = .object(members)
        }
        create = withLinks(create, status: "201", contextLinks)
        return [
            "/v1/contexts": .object([
                "get": listOperation("listContexts", "The caller's live contexts, newest first (summaries)", list: "contexts",
                                     tags: ["contexts"], returns: "A page of context summaries.", schema: "ContextList",
                                     example: OpenAPIExamples.context),
                "post": create,
            ]),
            "/v1/contexts/{id}": OA.idPath("context", c, [
                "get": readOperation("getContext", "Read one of the caller's contexts", tags: ["contexts"],
                                     returns: "The context.", schema: "Context", example: OpenAPIExamples.context),
                "delete": OA.operation("deleteContext", "Delete a context and its descendants (child contexts); engines bound to any of them are cleaned and their runs cancelled",
                                       tags: ["contexts"], responses: ["204": OA.response("Deleted.")], errors: [404]),
            ]),
            "/v1/contexts/{id}/children": OA.idPath("context", c, [
                "post": createOperation("createChildContext", "Derive a child context for a sub-agent (depth + 1)",
                                        tags: ["contexts"], idempotent: false, body: "ChildCreate",
                                        bodyExample: OpenAPIExamples.childCreate, returns: "The child context.", schema: "Context",
                                        example: OpenAPIExamples.context, errors: [400, 404, 413, 415, 422]),
            ]),
            "/v1/contexts/{id}/audit": OA.idPath("context", c, [
                "get": readOperation("getContextAudit", "The context's audit trail", tags: ["contexts"],
                                     returns: "The audit trail.", schema: "AuditTrail",
                                     example: OpenAPIExamples.auditTrail),
            ]),
        ]
    }

    static func engines(_ c: OpenAPIContract) -> [String: JSONValue] {
        var create = createOperation("createEngine", "Spawn an engine bound to one of the caller's contexts",
                                     tags: ["engines"], body: "EngineCreate", bodyExample: OpenAPIExamples.engineCreate,
                                     returns: "The engine.", schema: "Engine", example: OpenAPIExamples.engine,
                                     errors: [400, 404, 413, 415, 422, 500])
        create = withLinks(create, status: "201", links([("GetEngine", "getEngine"), ("StartRun", "startRun"),
                                                         ("DeleteEngine", "deleteEngine")]))
        var startRun = createOperation("startRun", "Start (or queue) an agent run on the engine", tags: ["runs"],
                                       body: "RunCreate", bodyExample: OpenAPIExamples.runCreate(agent: c.agentNames.first),
                                       status: "202", returns: "The run, running or queued.", schema: "Run",
                                       example: OpenAPIExamples.run, errors: [400, 404, 413, 415, 422])
        startRun = withLinks(startRun, status: "202", links([("GetRun", "getRun"), ("CancelRun", "cancelRun"),
                                                             ("StreamRunEvents", "streamRunEvents")]))
        return [
            "/v1/engines": .object([
                "post": create,
                "get": listOperation("listEngines", "The caller's engines, newest first", list: "engines", tags: ["engines"],
                                     returns: "A page of engines.", schema: "EngineList", example: OpenAPIExamples.engine),
            ]),
            "/v1/engines/{id}": OA.idPath("engine", c, [
                "get": readOperation("getEngine", "An engine's state, stats and its \(EngineRoutes.recentRunsInRead) newest runs (summaries; the rest through links.runs)",
                                     tags: ["engines"], returns: "The engine.", schema: "EngineDetail", example: OpenAPIExamples.engineDetail),
                "delete": OA.operation("deleteEngine", "Clean an engine; its live runs end cancelled (reason engine_cleaned)",
                                       tags: ["engines"], responses: ["204": OA.response("Cleaned (or already cleaned).")],
                                       errors: [404]),
            ]),
            "/v1/engines/{id}/runs": OA.idPath("engine", c, ["post": startRun]),
        ]
    }

    /// `operation` with `links` on its `status` answer.
    static func withLinks(_ operation: JSONValue, status: String, _ links: JSONValue) -> JSONValue {
        guard case .object(var o) = operation, case .object(var responses)? = o["responses"],
              case .object(var answer)? = responses[status] else { return operation }
        answer["links"] = links
        responses[status] = .object(answer)
        o["responses"] = .object(responses)
        return .object(o)
    }
}
