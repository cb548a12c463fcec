/// A complete request as handed to a responder: the head parsed and validated, the body read
/// (de-chunked, and decompressed when it arrived with `Content-Encoding: gzip`).
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The request target exactly as sent (origin-form, or absolute-form reduced to its path).
    public var target: String
    /// The path part of the target, without the query, not percent-decoded.
    public var path: String
    /// The query part of the target after `?`, if any, not percent-decoded.
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Values captured by the router from `:name` segments of the matched route.
    public var pathParameters: [String: String]
    /// The peer's address as text ("127.0.0.1:53211"), for logs only.
    public var remoteAddress: String
    /// True when the request arrived over TLS.
    public var isSecure: Bool

    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1,
                headers: HTTPHeaders = [:], body: [UInt8] = [], remoteAddress: String = "",
                isSecure: Bool = false) {
        self.method = method
        self.target = target
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q])
            query = String(target[target.index(after: q)...])
        } else {
            path = target
            query = nil
        }
        self.version = version
        self.headers = headers
        self.body = body
        self.pathParameters = [:]
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
    }

    /// The first value of a query parameter, percent-decoded ("+" as space).
    public func queryItem(_ name: String) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if PercentDecoding.decode(parts[0]) == name {
                return parts.count > 1 ? PercentDecoding.decode(parts[1]) ?? "" : ""
            }
        }
        return nil
    }

    /// True when the query names `name` at all (`?verbose`, `?verbose=1`).
    public func hasQueryItem(_ name: String) -> Bool { queryItem(name) != nil }
}

/// Percent-decoding of URL components (RFC 3986 §2.1); nil when the escapes or UTF-8 are invalid.
public enum PercentDecoding {
    public static func decode<S: StringProtocol>(_ text: S, plusAsSpace: Bool = true) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let hi = iterator.next().flatMap(hexValue), let lo = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(hi << 4 | lo)
            case UInt8(ascii: "+") where plusAsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
