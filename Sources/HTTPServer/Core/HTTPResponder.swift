/// The application's side of the server. `respond` runs on the connection's event-loop thread:
/// it must be quick and must never block (no sleeping, no waiting on locks held for long, no
/// synchronous I/O). Long work goes elsewhere and comes back through a streamed body.
public protocol HTTPResponder: Sendable {
    /// The largest request body accepted for this method and path (checked before the body is
    /// read, so an oversize `Content-Length` is answered 413 at once). nil: the server default.
    func maxBodySize(method: HTTPMethod, path: String) -> Int?
    func respond(to request: HTTPRequest) -> HTTPResponse
}

extension HTTPResponder {
    public func maxBodySize(method: HTTPMethod, path: String) -> Int? { nil }
}
