import ExecutionCore
import HTTPServer

/// Small constructors that keep the OpenAPI document's parts readable.
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
    static let count: JSONValue = .object(["type": .string("integer"), "minimum": .integer(0)])
    static let number: JSONValue = .object(["type": .string("number")])
    static let boolean: JSONValue = .object(["type": .string("boolean")])
    static let freeObject: JSONValue = .object(["type": .string("object"), "additionalProperties": .bool(true)])
    static let timestamp: JSONValue = .object(["type": .string("string"), "format": .string("date-time"),
                                               "description": .string("RFC 3339 UTC timestamp, milliseconds.")])
    static let nullableTimestamp: JSONValue = .object(["type": .array([.string("string"), .string("null")]),
                                                       "format": .string("date-time")])
    static let serverID: JSONValue = .object(["type": .string("string"), "format": .string("uuid"),
                                              "description": .string("A server-made id (a version 4 UUID).")])
    static func enumeration(_ words: [String], _ description: String) -> JSONValue {
        .object(["type": .string("string"), "enum": .array(words.map(JSONValue.string)), "description": .string(description)])
    }
    static func array(_ items: JSONValue) -> JSONValue { .object(["type": .string("array"), "items": items]) }

    /// An object schema; `closed`: unknown members are refused (request bodies) or never sent.
    static func object(_ properties: [String: JSONValue], required: [String] = [], closed: Bool = true) -> JSONValue {
        var o: JSONObject = ["type": .string("object"), "properties": .object(properties)]
        if !required.isEmpty { o["required"] = .array(required.map(JSONValue.string)) }
        if closed { o["additionalProperties"] = .bool(false) }
        return .object(o)
    }

    static func jsonBody(_ schema: JSONValue, example: JSONValue, required: Bool = true) -> JSONValue {
        .object(["required": .bool(required),
                 "content": .object(["application/json": .object(["schema": schema, "example": example])])])
    }

    /// A success answer: its media types, `X-Request-ID` (always) and `headers`.
    static func response(_ description: String, content: [String: JSONValue] = [:], headers: [String: JSONValue] = [:],
                         requestID: Bool = true) -> JSONValue {
        var o: JSONObject = ["description": .string(description)]
        if !content.isEmpty { o["content"] = .object(content) }
        var all = headers
        if requestID { all["X-Request-ID"] = headerRef("X-Request-ID", required: true) }
        if !all.isEmpty { o["headers"] = .object(all) }
        return .object(o)
    }

    /// `application/json` with `schema` and an example.
    static func json(_ schema: JSONValue, example: JSONValue? = nil) -> [String: JSONValue] {
        var media: JSONObject = ["schema": schema]
        if let example { media["example"] = example }
        return ["application/json": .object(media)]
    }

    /// A response header as `OpenAPIResponses.headers` describes it; `required` when this answer
    /// always carries it.
    static func headerRef(_ name: String, required: Bool = false) -> JSONValue {
        OpenAPIResponses.header(name, required: required)
    }

    /// The problem answer of `status` (components/responses).
    static func problem(_ status: Int) -> JSONValue {
        .object(["$ref": .string("#/components/responses/" + OpenAPIResponses.name(of: status))])
    }

    static func parameter(_ name: String, in location: String, _ description: String, required: Bool = false,
                          schema: JSONValue = str(), example: JSONValue? = nil) -> JSONValue {
        var o: JSONObject = ["name": .string(name), "in": .string(location), "required": .bool(required),
                             "description": .string(description), "schema": schema]
        if let example { o["example"] = example }
        return .object(o)
    }

    /// Who may call an operation, and how they present the token.
    enum Security {
        /// No credentials (probes, the document, problem pages).
        case none
        /// `Authorization: Bearer` only.
        case bearer
        /// An SSE stream: the header, or `?access_token=` (a browser's EventSource).
        case eventSource
        /// The WebSocket: the header, the `bearer, <token>` subprotocol, or `?access_token=`.
        case webSocket

        var requirements: JSONValue {
            let schemes: [String] = switch self {
            case .none: []
            case .bearer: ["bearer"]
            case .eventSource: ["bearer", "accessToken"]
            case .webSocket: ["bearer", "webSocketBearer", "accessToken"]
            }
            return .array(schemes.map { .object([$0: .array([])]) })
        }
    }

    /// An operation: its answers are `responses`, the problem answers of `errors`, and those
    /// every request can get — 401 when secured; 429 (the per-peer connection cap) and 503 (at
    /// capacity, draining), both with Retry-After; `default` for the server's own rejections of
    /// a malformed request (400, 408, 413, 414, 431, 505).
    static func operation(_ id: String, _ summary: String, tags: [String], parameters: [JSONValue] = [],
                          body: JSONValue? = nil, responses: [String: JSONValue], errors: [Int] = [],
                          security: Security = .bearer) -> JSONValue {
        var all = responses
        var statuses = errors + [429, 503]
        if security != .none { statuses.append(401) }
        for status in statuses where all[String(status)] == nil { all[String(status)] = problem(status) }
        all["default"] = .object(["$ref": .string("#/components/responses/Problem")])
        var o: JSONObject = ["operationId": .string(id), "summary": .string(summary),
                             "tags": .array(tags.map(JSONValue.string)), "responses": .object(all),
                             "security": security.requirements]
        if !parameters.isEmpty { o["parameters"] = .array(parameters) }
        if let body { o["requestBody"] = body }
        return .object(o)
    }

    /// A path of one resource (`…/{id}…`): its id parameter, then its operations.
    static func idPath(_ resource: String, _ contract: OpenAPIContract, _ operations: JSONObject) -> JSONValue {
        var members = operations
        members["parameters"] = .array([parameter(
            "id", in: "path", "The \(resource) id. Another user's id, an unknown one and one that cannot be an id are all answered 404.",
            required: true, schema: contract.plausibleID, example: .string(OpenAPIExamples.id(resource)))])
        return .object(members)
    }

    static let idempotencyKey = parameter(
        "Idempotency-Key", in: "header",
        "Retries with the same key and body replay the first answer (Idempotent-Replayed: true); the same key with another body is 422; while the first is in progress 409. Scoped per user. 1 to 255 visible ASCII characters, else 400.",
        schema: .object(["type": .string("string"), "pattern": .string("^[!-~]{1,255}$")]),
        example: .string("3b7e9f1c-create-context-1"))
}
