/// How the body that follows a request head is delimited (RFC 9112 §6.3).
public enum BodyFraming: Equatable, Sendable {
    /// No body: neither Content-Length nor Transfer-Encoding was sent.
    case none
    /// Exactly this many body bytes follow the head (may be 0).
    case contentLength(Int)
    /// A chunked body follows; decode it with `ChunkedBodyDecoder`.
    case chunked
}

/// A request head parsed and validated by `HTTPHeadParser`.
public struct HTTPRequestHead: Sendable {
    public var method: HTTPMethod
    /// origin-form target ("/a/b?x=1"); an absolute-form target ("http://h/a?x") is reduced to
    /// its path and query (the authority then serves as Host); "*" only with OPTIONS.
    public var target: String
    public var version: HTTPVersion
    /// The header fields in arrival order, names as sent, values trimmed of OWS. For an
    /// absolute-form target the Host field holds the target's authority.
    public var headers: HTTPHeaders
    public var framing: BodyFraming
    /// HTTP/1.1 default true unless `Connection: close`; HTTP/1.0 default false unless `Connection: keep-alive`.
    public var keepAlive: Bool
    /// `Expect: 100-continue` was sent (any other Expect value: 417). Always false on HTTP/1.0,
    /// which must ignore the expectation (RFC 9110 §10.1.1).
    public var expectsContinue: Bool

    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1,
                headers: HTTPHeaders = [:], framing: BodyFraming = .none,
                keepAlive: Bool = true, expectsContinue: Bool = false) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }
}
