import HTTPServer

/// One response as read off the wire by `RawHTTPClient`.
public struct RawHTTPResponse: Sendable {
    public var version: String
    public var status: Int
    public var reason: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The chunks of a chunked body, in order (empty for other framings).
    public var chunks: [[UInt8]]
    /// The status line and header block exactly as received.
    public var rawHead: String

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    public var isChunked: Bool { headers.listContains("Transfer-Encoding", token: "chunked") }
    public func header(_ name: String) -> String? { headers[name] }
}

public enum RawHTTPClientError: Error, Equatable, CustomStringConvertible {
    case system(String, Int32)
    /// The peer closed (or reset) before a complete response arrived.
    case closed(partial: String)
    case timedOut
    case malformed(String)

    public var description: String {
        switch self {
        case .system(let call, let code): "\(call) failed (errno \(code))"
        case .closed(let partial): "connection closed before a complete response (had: \(partial.prefix(200)))"
        case .timedOut: "timed out waiting for the server"
        case .malformed(let what): "malformed response: \(what)"
        }
    }
}
