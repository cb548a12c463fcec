import ExecutionCore

/// The OpenAPI 3.1 description of every route (the event-stream routes included), served at
/// `GET /openapi.json`. Its limits, words and agents are those of the running configuration
/// (`OpenAPIContract`), so the document states what this server enforces; `docs/openapi.json` is
/// the document of the shipped `config/isolationd.json` (a test keeps the two equal and checks
/// every route registered on the router is described).
public enum OpenAPIDocument {
    /// The document for `settings`, pretty-printed with sorted keys (stable bytes). Built once,
    /// when the routes are installed.
    public static func bytes(for settings: ServiceSettings) -> [UInt8] {
        PrettyJSON.render(value(for: settings))
    }

    public static func value(for settings: ServiceSettings) -> JSONValue {
        let contract = OpenAPIContract(settings: settings)
        return .object([
            "openapi": .string("3.1.0"),
            "info": .object([
                "title": .string("isolationd"),
                "version": .string("1.0.0"),
                "description": .string("Multi-tenant execution isolation: per-user contexts, engines and agent runs, with their events streamed per user. Every /v1 operation needs a bearer token (an API key or a JWT) in Authorization; the event streams also take it as ?access_token= or, on the WebSocket, as the subprotocol pair bearer, <token>. The user is always the credential's, never a body's. Errors are application/problem+json (RFC 9457): one type per kind of problem (urn:isolationd:problem:<name>, described at GET /problems/<name>), and instance names the request (urn:isolationd:request:<X-Request-ID>). Every answer but the probes' carries X-Request-ID. Methods (RFC 9110): HEAD is answered wherever GET is (same status and headers, no body); OPTIONS on any path answers 204 with Allow (OPTIONS * lists every method the server supports); another method of RFC 9110, PATCH or QUERY is 405 with Allow (components/responses/MethodNotAllowed); any other token, lower-case get included, is 501 (NotImplemented). Neither reads a request body. The limits in this document (lengths, patterns, enums, agents) are the running configuration's."),
            ]),
            "servers": .array([.object(["url": .string("http://127.0.0.1:8080")])]),
            "tags": .array(["contexts", "engines", "runs", "events", "service", "operations"].map { .object(["name": .string($0)]) }),
            "paths": .object(OpenAPIPaths.all(contract)),
            "components": OpenAPIComponents.value(contract),
        ])
    }

    /// `:name` route segments as OpenAPI `{name}`.
    public static func openAPIPath(_ routePattern: String) -> String {
        routePattern.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "{" + segment.dropFirst() + "}" : String(segment)
        }.joined(separator: "/")
    }
}

/// JSON with two-space indentation and sorted keys, for documents people read.
enum PrettyJSON {
    static func render(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        write(value, indent: 0, into: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    private static func newline(_ indent: Int, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout [UInt8]) {
        switch value {
        case .array(let items) where !items.isEmpty:
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 2, &out)
                write(item, indent: indent + 2, into: &out)
            }
            newline(indent, &out)
            out.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 2, &out)
                JSONValue.writeString(key, into: &out)
                out.append(contentsOf: ": ".utf8)
                if let member = members[key] { write(member, indent: indent + 2, into: &out) }
            }
            newline(indent, &out)
            out.append(UInt8(ascii: "}"))
        default:
            value.write(into: &out)
        }
    }
}
