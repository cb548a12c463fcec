/// The application's side of the server. `respond` runs on the connection's event-loop thread:
/// it must be quick and must never block (no sleeping, no waiting on locks held for long, no
/// synchronous I/O). Long work goes elsewhere and comes back through a streamed body, or
/// through a deferred response (`HTTPResponse.deferred`) when the answer itself must wait for it.
public protocol HTTPResponder: Sendable {
    /// The largest request body accepted for this method and path (checked before the body is
    /// read, so an oversize `Content-Length` is answered 413 at once). nil: the server default.
    func maxBodySize(method: HTTPMethod, path: String) -> Int?
    /// What to do with the body a head announces, decided from the head alone (asked only when
    /// a body is announced): no work is done for a body before the application has looked at
    /// the route and the credentials in `headers`. Default: read it under `maxBodySize`.
    func bodyHandling(method: HTTPMethod, path: String, headers: HTTPHeaders) -> RequestBodyHandling
    func respond(to request: HTTPRequest) -> HTTPResponse
    /// Completes a problem the server answers by itself, without `respond` (a malformed request,
    /// a limit, a timeout, a refusal while draining, an unsupported method on a built-in probe):
    /// it comes as `about:blank` titled with the reason phrase, and the application may give it
    /// its own `type`, `title` and `instance` and add headers (a request id). Runs on a loop
    /// thread, only on these error paths. Default: unchanged.
    func completeServerProblem(_ problem: inout ProblemJSON, headers: inout HTTPHeaders)
}

/// What the server does with a request body, decided from the request head.
public enum RequestBodyHandling: Sendable, Equatable {
    /// Read it, up to `maxBytes` (nil: the server's default limit), then answer.
    case read(maxBytes: Int?)
    /// Answer from the head alone: no route takes the body (404, 405, 501, OPTIONS), or the
    /// credentials are refused (401, 403), so `respond` answers without it. The body is
    /// never buffered: a small Content-Length body is skipped as it arrives so the connection
    /// stays open; a larger or chunked one closes the connection after the answer.
    case answerWithoutBody
}

extension HTTPResponder {
    public func maxBodySize(method: HTTPMethod, path: String) -> Int? { nil }
    public func bodyHandling(method: HTTPMethod, path: String, headers: HTTPHeaders) -> RequestBodyHandling {
        .read(maxBytes: maxBodySize(method: method, path: path))
    }
    public func completeServerProblem(_ problem: inout ProblemJSON, headers: inout HTTPHeaders) {}
}
