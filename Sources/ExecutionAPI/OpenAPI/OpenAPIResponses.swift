import ExecutionCore
import HTTPServer

/// The shared answers of the OpenAPI document: one problem response per error status (its
/// `type` limited to the problem types of that status in `ProblemType.all`, the one table every
/// layer answers from), the response headers, and the three ways to present a token.
enum OpenAPIResponses {
    /// The component name of a status's problem answer: its reason phrase without spaces.
    static func name(of status: Int) -> String {
        String(HTTPStatus(code: status).reason.filter { $0.isLetter })
    }

    /// Statuses with a problem answer: every status a problem type is answered with.
    static var problemStatuses: [Int] {
        var statuses: [Int] = []
        for type in ProblemType.all where !statuses.contains(type.status.code) { statuses.append(type.status.code) }
        return statuses
    }

    static var responses: [String: JSONValue] {
        var all: [String: JSONValue] = [
            "Problem": .object([
                "description": .string("An error (RFC 9457): the server's own rejection of a request it cannot read (400, 408, 413, 414, 431, 505) or any other problem."),
                "content": .object(["application/problem+json": .object(["schema": OA.ref("Problem")])]),
                "headers": .object(["X-Request-ID": header("X-Request-ID")]),
            ]),
        ]
        for status in problemStatuses {
            let types = ProblemType.all.filter { $0.status.code == status }
            let schema: JSONValue = .object(["allOf": .array([OA.ref("Problem"), .object([
                "properties": .object([
                    "status": .object(["const": .integer(Int64(status))]),
                    "type": .object(["enum": .array(types.map { .string($0.uri) })]),
                ]),
            ])])])
            var headers: JSONObject = ["X-Request-ID": header("X-Request-ID")]
            for name in statusHeaders[status] ?? [] { headers[name] = header(name, required: true) }
            if status == 409 { headers["Retry-After"] = header("Retry-After") }
            if status == 415 { headers["Accept-Post"] = header("Accept-Post") }
            let example: JSONValue = .object([
                "type": .string(types[0].uri), "title": .string(types[0].title), "status": .integer(Int64(status)),
                "detail": .string(types[0].summary), "instance": .string("urn:isolationd:request:" + OpenAPIExamples.requestID),
            ])
            all[name(of: status)] = .object([
                "description": .string(types.map { "\($0.name): \($0.summary)" }.joined(separator: " ")),
                "content": .object(["application/problem+json": .object(["schema": schema, "example": example])]),
                "headers": .object(headers),
            ])
        }
        return all
    }

    /// Headers every problem answer of a status carries.
    private static let statusHeaders: [Int: [String]] = [
        401: ["WWW-Authenticate"], 405: ["Allow"], 426: ["Sec-WebSocket-Version"],
        429: ["Retry-After"], 503: ["Retry-After"],
    ]

    /// Every response header the service sends, by name.
    static let headers: [String: (description: String, schema: JSONValue)] = [
        "X-Request-ID": ("This answer's request id (the client's own X-Request-ID when it sent a valid one); problems name it in instance, log lines carry it. Every answer but the probes' has it.",
                         .object(["type": .string("string"), "minLength": .integer(1)])),
        "Location": ("The created resource (or the started run).", .object(["type": .string("string"), "pattern": .string("^/v1/")])),
        "Retry-After": ("Whole seconds to wait before retrying.", .object(["type": .string("integer"), "minimum": .integer(0)])),
        "Allow": ("The methods the path supports, e.g. GET, HEAD, OPTIONS.", .object(["type": .string("string")])),
        "WWW-Authenticate": ("A Bearer challenge (RFC 6750), with error=\"invalid_token\" when a token was presented and refused.",
                             .object(["type": .string("string"), "pattern": .string("^Bearer")])),
        "Link": ("<next page>; rel=\"next\", absent on the last page.", .object(["type": .string("string"), "pattern": .string("^</v1/.*>; rel=\"next\"$")])),
        "Idempotent-Replayed": ("true on an answer replayed for a retried Idempotency-Key.", .object(["type": .string("string"), "enum": .array([.string("true")])])),
        "Accept-Post": ("The media type the operation takes.", .object(["type": .string("string")])),
        "Sec-WebSocket-Version": ("The WebSocket version the server speaks (13).", .object(["type": .string("string")])),
        "Cache-Control": ("Caching of the answer.", .object(["type": .string("string")])),
    ]

    /// A header object of `headers` (OpenAPI 3.1 wants the type under `schema`, never beside it).
    static func header(_ name: String, required: Bool = false) -> JSONValue {
        let described = headers[name] ?? (description: name, schema: OA.str())
        var o: JSONObject = ["description": .string(described.description), "schema": described.schema]
        if required { o["required"] = .bool(true) }
        return .object(o)
    }

    /// The three ways to present a token: every operation takes the header; the event streams
    /// also take what a browser can send (an EventSource cannot set headers, a WebSocket only
    /// its subprotocols).
    static let securitySchemes: JSONValue = .object([
        "bearer": .object([
            "type": .string("http"), "scheme": .string("bearer"),
            "description": .string("Authorization: Bearer <token>: an API key (config auth.api_keys) or a JWT (HS256/RS256; sub is the user). A request carrying this header is judged by it alone."),
        ]),
        "accessToken": .object([
            "type": .string("apiKey"), "in": .string("query"), "name": .string("access_token"),
            "description": .string("The same token as ?access_token=<token>, for a browser's EventSource (and a WebSocket) that cannot set Authorization. Event streams only."),
        ]),
        "webSocketBearer": .object([
            "type": .string("apiKey"), "in": .string("header"), "name": .string("Sec-WebSocket-Protocol"),
            "description": .string("The token in the WebSocket subprotocol list, as Sec-WebSocket-Protocol: bearer, <token> (a browser's new WebSocket(url, [\"bearer\", token])); the server selects the bearer subprotocol. GET /v1/events/ws only."),
        ]),
    ])
}
