import ExecutionCore
import HTTPServer

/// An RFC 9457 problem: the body of every error answer, `application/problem+json`, written by
/// HTTPServer's `ProblemJSON` (the one writer of problem bodies).
///
/// `type` identifies the kind of problem (a URN under `urn:isolationd:problem:`, one per entry
/// of `ProblemType.all`, described at `GET /problems/{name}`), `title` is its fixed human
/// summary, `detail` this occurrence's explanation, `instance` the request it happened to
/// (`urn:isolationd:request:<X-Request-ID>`, filled in while a request is answered). Extension
/// members (`errors`, `field`, `retry_after_seconds`, ...) sit beside them in the JSON object;
/// they can never replace a standard member. `headers` travel with the answer (`Retry-After`,
/// `WWW-Authenticate`, `Allow`).
public struct ProblemDetails: Error, Sendable, Equatable {
    public static let contentType = ProblemJSON.contentType
    /// The prefix of every problem type this service defines.
    public static let typePrefix = "urn:isolationd:problem:"
    /// The prefix of every `instance`: the request id follows.
    public static let instancePrefix = "urn:isolationd:request:"

    public var type: String
    public var title: String
    public var status: HTTPStatus
    public var detail: String?
    public var instance: String?
    public var extensions: [String: JSONValue]
    public var headers: HTTPHeaders

    public init(type: String, title: String, status: HTTPStatus, detail: String? = nil, instance: String? = nil,
                extensions: [String: JSONValue] = [:], headers: HTTPHeaders = [:]) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = instance
        self.extensions = extensions
        self.headers = headers
    }

    /// A problem of this service's own: `type` is `urn:isolationd:problem:<slug>`.
    public init(_ slug: String, title: String, status: HTTPStatus, detail: String? = nil,
                extensions: [String: JSONValue] = [:], headers: HTTPHeaders = [:]) {
        self.init(type: ProblemDetails.typeURI(slug), title: title, status: status, detail: detail,
                  extensions: extensions, headers: headers)
    }

    /// A problem of one of this service's types (`ProblemType.all`), with its title and status.
    public init(_ type: ProblemType, detail: String? = nil, extensions: [String: JSONValue] = [:], headers: HTTPHeaders = [:]) {
        self.init(type: type.uri, title: type.title, status: type.status, detail: detail,
                  extensions: extensions, headers: headers)
    }

    public static func typeURI(_ slug: String) -> String { typePrefix + slug }

    /// The `instance` of a problem answered to the request with id `requestID` (X-Request-ID).
    public static func instanceURI(requestID: String) -> String { instancePrefix + requestID }

    /// This problem as the HTTP layer's document, whose writer makes every problem+json body;
    /// extension values are serialised here (object keys sorted).
    public var document: ProblemJSON {
        var document = ProblemJSON(type: type, title: title, status: status, detail: detail)
        document.instance = instance
        document.extensions = extensions.map { ProblemJSON.Extension(name: $0.key, json: $0.value.serialized()) }
        return document
    }

    /// The complete answer: the document and `headers`. While a request is answered (its id
    /// bound in `RequestID.current`), a problem without an `instance` gets the request's.
    public func response() -> HTTPResponse {
        var document = document
        if document.instance == nil, let id = RequestID.current {
            document.instance = ProblemDetails.instanceURI(requestID: id)
        }
        return document.response(headers: headers)
    }

    /// Equal when they answer the same: the same body bytes, status and headers.
    public static func == (a: ProblemDetails, b: ProblemDetails) -> Bool {
        a.status == b.status && a.document.bytes == b.document.bytes
            && Array(a.headers).map { "\($0.name.lowercased()):\($0.value)" } == Array(b.headers).map { "\($0.name.lowercased()):\($0.value)" }
    }
}

extension ProblemDetails {
    /// Adds `Retry-After` (whole seconds, rounded up, at least 1) and the same figure as the
    /// `retry_after_seconds` member.
    public func retrying(after seconds: Double) -> ProblemDetails {
        var copy = self
        let whole = seconds.isFinite ? max(1, Int(min(seconds.rounded(.up), 86_400 * 365))) : 1
        copy.headers.set("Retry-After", String(whole))
        copy.extensions["retry_after_seconds"] = .integer(Int64(whole))
        return copy
    }

    /// 401 for an authentication failure, with its `WWW-Authenticate` challenge.
    public static func unauthorized(_ error: AuthError, realm: String = "isolationd") -> ProblemDetails {
        ProblemDetails(.unauthorized, detail: error.description, headers: ["WWW-Authenticate": error.wwwAuthenticate(realm: realm)])
    }

    /// 403: authenticated, but the principal lacks `role`.
    public static func forbidden(missingRole role: String) -> ProblemDetails {
        ProblemDetails(.forbidden, detail: "this operation needs the role \(role)", extensions: ["required_role": .string(role)])
    }

    /// 400: a request the server cannot read (bad JSON, bad query).
    public static func badRequest(_ detail: String) -> ProblemDetails {
        ProblemDetails(.badRequest, detail: detail)
    }

    /// 404: also the answer for another user's resources (they do not exist for this caller).
    public static func notFound(_ detail: String = "no such resource") -> ProblemDetails {
        ProblemDetails(.notFound, detail: detail)
    }

    /// 405 with the `Allow` header.
    public static func methodNotAllowed(allowed: [HTTPMethod]) -> ProblemDetails {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        return ProblemDetails(.methodNotAllowed, detail: "allowed methods: \(allow)", headers: ["Allow": allow])
    }

    /// 422: a well-formed request whose content is invalid; `field` names the offending member.
    public static func validation(field: String, _ detail: String) -> ProblemDetails {
        ProblemDetails(.validationFailed, detail: detail,
                       extensions: ["field": .string(field),
                                    "errors": .array([.object(["field": .string(field), "detail": .string(detail)])])])
    }

    /// 429 with `Retry-After`.
    public static func tooManyRequests(_ detail: String, retryAfter seconds: Double) -> ProblemDetails {
        ProblemDetails(.tooManyRequests, detail: detail)
            .retrying(after: seconds)
    }

    /// 503 with `Retry-After` (draining, circuit breaker open).
    public static func serviceUnavailable(_ detail: String, retryAfter seconds: Double) -> ProblemDetails {
        ProblemDetails(.serviceUnavailable, detail: detail)
            .retrying(after: seconds)
    }

    /// 500 without internals: the detail is generic, the cause goes to the log only.
    public static let internalError = ProblemDetails(.internalError, detail: "the server failed to handle the request; it has been logged")
}
