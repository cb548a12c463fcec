/// An HTTP request method (RFC 9110 §9). Any valid token parses; the methods this server
/// recognises are `standard`. Method names are case-sensitive (§9.1): `get` is not `GET`.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let get = HTTPMethod(rawValue: "GET")
    public static let head = HTTPMethod(rawValue: "HEAD")
    public static let post = HTTPMethod(rawValue: "POST")
    public static let put = HTTPMethod(rawValue: "PUT")
    public static let patch = HTTPMethod(rawValue: "PATCH")
    public static let delete = HTTPMethod(rawValue: "DELETE")
    public static let options = HTTPMethod(rawValue: "OPTIONS")
    public static let connect = HTTPMethod(rawValue: "CONNECT")
    public static let trace = HTTPMethod(rawValue: "TRACE")
    /// The safe, idempotent method with a body of the HTTP working group's
    /// draft-ietf-httpbis-safe-method-w-body, which HTTP tooling already sends (schemathesis
    /// probes every path with it). Recognised, so a path without it answers 405 with `Allow`
    /// like any other known method, never 501 ("not implemented for any resource" is for
    /// methods the server cannot know).
    public static let query = HTTPMethod(rawValue: "QUERY")

    /// The methods of RFC 9110 §9 plus PATCH (RFC 5789) and QUERY, in the order `Allow` lists them. A
    /// request with one of these on a path that does not support it is 405; with any other
    /// token (unless a route registered it) 501.
    public static let standard: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete, .connect, .options, .trace, .query]

    /// Whether this is one of `standard` (compares the bytes; no allocation).
    public var isStandard: Bool {
        switch rawValue {
        case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "QUERY": true
        default: false
        }
    }

    public var description: String { rawValue }
}
