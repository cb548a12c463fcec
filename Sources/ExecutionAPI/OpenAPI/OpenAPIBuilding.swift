import ExecutionCore

/// Small constructors that keep `OpenAPIDocument` readable.
enum OA {
    static func ref(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/" + name)]) }
    static func str(_ description: String? = nil) -> JSONValue {
        var o: JSONObject = ["type": .string("string")]
        if let description { o["description"] = .string(description) }
        return .object(o)
    }
    static func nullableString(_ description: String) -> JSONValue {
        .object(["type": .array([.string("string"), .string("null")]), "description": .string(description)])
    }
    static let integer: JSONValue = .object(["type": .string("integer")])
    static let number: JSONValue = .object(["type": .string("number")])
    static let boolean: JSONValue = .object(["type": .string("boolean")])
    static let freeObject: JSONValue = .object(["type": .string("object"), "additionalProperties": .bool(true)])
    static func enumeration(_ words: [String], _ description: String) -> JSONValue {
        .object(["type": .string("string"), "enum": .array(words.map(JSONValue.string)), "description": .string(description)])
    }
    static func array(_ items: JSONValue) -> JSONValue { .object(["type": .string("array"), "items": items]) }

    /// A closed object schema (unknown members are refused by the API, so the schema says so).
    static func object(_ properties: [String: JSONValue], required: [String] = [], closed: Bool = true) -> JSONValue {
        var o: JSONObject = ["type": .string("object"), "properties": .object(properties)]
        if !required.isEmpty { o["required"] = .array(required.map(JSONValue.string)) }
        if closed { o["additionalProperties"] = .bool(false) }
        return .object(o)
    }

    static func jsonBody(_ schema: JSONValue, required: Bool = true) -> JSONValue {
        .object(["required": .bool(required), "content": .object(["application/json": .object(["schema": schema])])])
    }

    static func response(_ description: String, schema: JSONValue? = nil, mediaType: String = "application/json",
                         headers: [String: JSONValue] = [:]) -> JSONValue {
        var o: JSONObject = ["description": .string(description)]
        if let schema { o["content"] = .object([mediaType: .object(["schema": schema])]) }
        if !headers.isEmpty { o["headers"] = .object(headers) }
        return .object(o)
    }

    static func problem(_ description: String) -> JSONValue {
        .object(["$ref": .string("#/components/responses/" + description)])
    }

    /// A response header object: OpenAPI 3.1 wants its type under `schema`, never beside it.
    static func header(_ description: String, type: String = "string") -> JSONValue {
        .object(["description": .string(description), "schema": .object(["type": .string(type)])])
    }

    static let locationHeader = header("The created resource.")
    static let allowHeader = header("The methods the path supports, e.g. GET, HEAD, OPTIONS.")
    static let retryAfterHeader = header("Seconds to wait before retrying.", type: "integer")

    static func parameter(_ name: String, in location: String, _ description: String, required: Bool = false,
                          schema: JSONValue = str()) -> JSONValue {
        .object(["name": .string(name), "in": .string(location), "required": .bool(required),
                 "description": .string(description), "schema": schema])
    }

    static func idParameter(_ resource: String) -> JSONValue {
        parameter("id", in: "path", "The \(resource) id. Another user's id is answered 404, like an unknown one.", required: true)
    }

    static let idempotencyKey = parameter("Idempotency-Key", in: "header",
        "Retries with the same key and body replay the first answer (Idempotent-Replayed: true); the same key with another body is 422; while the first is in progress 409. Scoped per user.")

    static func operation(_ id: String, _ summary: String, tags: [String], parameters: [JSONValue] = [],
                          body: JSONValue? = nil, responses: [String: JSONValue], secured: Bool = true) -> JSONValue {
        var o: JSONObject = ["operationId": .string(id), "summary": .string(summary),
                             "tags": .array(tags.map(JSONValue.string)), "responses": .object(responses)]
        if !parameters.isEmpty { o["parameters"] = .array(parameters) }
        if let body { o["requestBody"] = body }
        o["security"] = secured ? .array([.object(["bearer": .array([])])]) : .array([])
        return .object(o)
    }

    /// A path of one resource (`…/{id}…`): its id parameter, then its operations.
    static func idPath(_ resource: String, _ operations: JSONObject) -> JSONValue {
        var members = operations
        members["parameters"] = .array([idParameter(resource)])
        return .object(members)
    }

    /// A `get` that answers one of the caller's resources (200), or 404 as for an unknown id.
    static func readOperation(_ id: String, _ summary: String, tags: [String], returns description: String,
                              schema: String) -> JSONValue {
        operation(id, summary, tags: tags,
                  responses: withCommonErrors(["200": response(description, schema: ref(schema)), "404": problem("NotFound")]))
    }

    /// A `post` that creates a resource from a JSON body: `status` with the resource and its
    /// `Location`, or one of `errors` (status codes, each answered by its problem response).
    static func createOperation(_ id: String, _ summary: String, tags: [String], idempotent: Bool = true, body: String,
                                status: String = "201", returns description: String, schema: String,
                                errors: [String]) -> JSONValue {
        var responses = problems(errors)
        responses[status] = response(description, schema: ref(schema), headers: ["Location": locationHeader])
        return operation(id, summary, tags: tags, parameters: idempotent ? [idempotencyKey] : [],
                         body: jsonBody(ref(body)), responses: withCommonErrors(responses))
    }

    /// The problem responses (components/responses) of these status codes.
    static func problems(_ statuses: [String]) -> JSONObject {
        var responses: JSONObject = [:]
        for status in statuses { responses[status] = problem(problemNames[status] ?? "Problem") }
        return responses
    }

    private static let problemNames = [
        "400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound", "409": "Conflict",
        "413": "TooLarge", "415": "UnsupportedMediaType", "422": "Validation", "429": "TooManyRequests",
        "503": "Unavailable",
    ]

    /// The error answers every authenticated operation may give.
    static func withCommonErrors(_ responses: [String: JSONValue]) -> [String: JSONValue] {
        var all = responses
        all["401"] = problem("Unauthorized")
        all["default"] = problem("Problem")
        return all
    }
}
