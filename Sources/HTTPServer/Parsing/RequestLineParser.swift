/// A validated request line: `method SP request-target SP HTTP-version` (RFC 9112 §3).
struct ParsedRequestLine: Sendable {
    var method: HTTPMethod
    /// The target as the head reports it (absolute-form already reduced to path and query).
    var target: String
    /// The authority of an absolute-form target, which replaces the Host field.
    var absoluteAuthority: String?
    var version: HTTPVersion
}

/// Parses one complete request line (without its CRLF) whose bytes hold no control character
/// but possibly HTAB (rejected here: only single spaces separate the parts).
enum RequestLineParser {
    static func parse(_ buffer: UnsafeRawBufferPointer, _ line: Range<Int>) throws(HTTPParseError) -> ParsedRequestLine {
        let (method, targetStart) = try parseMethod(buffer, line)

        // request-target: visible ASCII only, up to the single SP before the version.
        var index = targetStart
        while index < line.upperBound, buffer[index] != ParserBytes.space {
            let byte = buffer[index]
            guard byte > ParserBytes.space, byte < ParserBytes.del else {
                throw .badRequest("invalid character in request target")
            }
            index += 1
        }
        guard index < line.upperBound else { throw .badRequest("malformed request line: no HTTP version") }
        guard index > targetStart else { throw .badRequest("malformed request line: empty target or double space") }
        let targetRange = targetStart..<index

        let version = try parseVersion(buffer, (index + 1)..<line.upperBound)
        let target = try RequestTargetParser.resolve(buffer, targetRange, method: method)
        return ParsedRequestLine(method: method, target: target.path, absoluteAuthority: target.authority,
                                 version: version)
    }

    /// The method and the index just after its SP. Common methods are recognised without
    /// validating or allocating; any other token becomes a new `HTTPMethod`.
    @inline(__always)
    private static func parseMethod(_ buffer: UnsafeRawBufferPointer, _ line: Range<Int>)
        throws(HTTPParseError) -> (HTTPMethod, Int) {
        let start = line.lowerBound
        if let known = knownMethod(buffer, line) { return known }
        var index = start
        while index < line.upperBound, ParserBytes.isTokenChar(buffer[index]) { index += 1 }
        guard index > start else { throw .badRequest("malformed request line: invalid method") }
        guard index < line.upperBound, buffer[index] == ParserBytes.space else {
            throw .badRequest("malformed request line: invalid character in method")
        }
        return (HTTPMethod(rawValue: ParserBytes.string(buffer, start..<index)), index + 1)
    }

    @inline(__always)
    private static func knownMethod(_ buffer: UnsafeRawBufferPointer, _ line: Range<Int>) -> (HTTPMethod, Int)? {
        let start = line.lowerBound
        func starts(_ literal: StaticString) -> Bool {
            let end = start + literal.utf8CodeUnitCount
            return end <= line.upperBound && ParserBytes.equals(buffer, start..<end, literal)
        }
        guard start < line.upperBound else { return nil }
        switch buffer[start] {
        case UInt8(ascii: "G") where starts("GET "): return (.get, start + 4)
        case UInt8(ascii: "P") where starts("POST "): return (.post, start + 5)
        case UInt8(ascii: "P") where starts("PUT "): return (.put, start + 4)
        case UInt8(ascii: "P") where starts("PATCH "): return (.patch, start + 6)
        case UInt8(ascii: "H") where starts("HEAD "): return (.head, start + 5)
        case UInt8(ascii: "D") where starts("DELETE "): return (.delete, start + 7)
        case UInt8(ascii: "O") where starts("OPTIONS "): return (.options, start + 8)
        default: return nil
        }
    }

    /// `HTTP/DIGIT.DIGIT` exactly (HTTP-name is case-sensitive). Well-formed versions other than
    /// 1.0 and 1.1 are 505; anything else is 400.
    private static func parseVersion(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>)
        throws(HTTPParseError) -> HTTPVersion {
        let lower = range.lowerBound
        guard range.count == 8, ParserBytes.equals(buffer, lower..<(lower + 5), "HTTP/"),
              ParserBytes.isDigit(buffer[lower + 5]), buffer[lower + 6] == UInt8(ascii: "."),
              ParserBytes.isDigit(buffer[lower + 7]) else {
            throw .badRequest("malformed HTTP version")
        }
        let major = Int(buffer[lower + 5] &- 0x30), minor = Int(buffer[lower + 7] &- 0x30)
        guard major == 1, minor <= 1 else {
            throw .versionNotSupported("HTTP/\(major).\(minor) is not supported")
        }
        return minor == 1 ? .http1_1 : .http1_0
    }
}
