/// Request-target forms (RFC 9112 §3.2): origin-form is kept as sent, absolute-form is reduced
/// to its path and query (its authority replaces Host), asterisk-form only with OPTIONS.
/// Authority-form belongs to CONNECT, which this server does not implement: it tunnels to no
/// one (501). CONNECT with a path names a resource like any other method, so the router answers
/// it (405 with `Allow` where the path exists).
enum RequestTargetParser {
    static func resolve(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, method: HTTPMethod)
        throws(HTTPParseError) -> (path: String, authority: String?) {
        let first = buffer[range.lowerBound]
        if first == UInt8(ascii: "/") {
            return (ParserBytes.string(buffer, range), nil)
        }
        if method == .connect { throw .notImplemented("CONNECT (a tunnel) is not supported") }
        if range.count == 1, first == UInt8(ascii: "*") {
            guard method == .options else { throw .badRequest("asterisk-form target is only allowed with OPTIONS") }
            return ("*", nil)
        }
        return try resolveAbsolute(buffer, range)
    }

    /// `http://authority/path?query` or `https://...`; anything else is a malformed target.
    private static func resolveAbsolute(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>)
        throws(HTTPParseError) -> (path: String, authority: String?) {
        var index = range.lowerBound
        while index < range.upperBound, isSchemeChar(buffer[index], first: index == range.lowerBound) { index += 1 }
        guard index > range.lowerBound, index < range.upperBound, buffer[index] == ParserBytes.colon else {
            throw .badRequest("invalid request target")
        }
        let scheme = range.lowerBound..<index
        guard ParserBytes.equalsIgnoringCase(buffer, scheme, "http")
                || ParserBytes.equalsIgnoringCase(buffer, scheme, "https") else {
            throw .badRequest("unsupported URI scheme in request target")
        }
        let slashes = (index + 1)..<(index + 3)
        guard slashes.upperBound <= range.upperBound, ParserBytes.equals(buffer, slashes, "//") else {
            throw .badRequest("absolute-form target without authority")
        }
        let authorityStart = slashes.upperBound
        var authorityEnd = authorityStart
        while authorityEnd < range.upperBound {
            let byte = buffer[authorityEnd]
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") { break }
            authorityEnd += 1
        }
        let authority = authorityStart..<authorityEnd
        // RFC 9110 §4.2.1 and §4.2.4: an http(s) URI needs a host and must not carry userinfo.
        guard isValidAuthority(buffer, authority, allowEmpty: false) else {
            throw .badRequest("invalid authority in request target")
        }
        let rest = authorityEnd..<range.upperBound
        let path: String
        if rest.isEmpty {
            path = "/"
        } else if buffer[rest.lowerBound] == UInt8(ascii: "/") {
            path = ParserBytes.string(buffer, rest)
        } else {
            path = "/" + ParserBytes.string(buffer, rest)
        }
        return (path, ParserBytes.string(buffer, authority))
    }

    @inline(__always)
    private static func isSchemeChar(_ byte: UInt8, first: Bool) -> Bool {
        let lower = ParserBytes.lowercased(byte)
        if lower &- 0x61 < 26 { return true }
        if first { return false }
        return ParserBytes.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ".")
    }

    /// `uri-host [ ":" port ]` (RFC 3986 §3.2.2-3.2.3) as in a Host field or an absolute-form
    /// target: an IP-literal in brackets or a reg-name/IPv4 of unreserved, sub-delims and
    /// percent-encoded bytes, then an optional port of digits. No userinfo.
    static func isValidAuthority(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, allowEmpty: Bool) -> Bool {
        if range.isEmpty { return allowEmpty }
        var index = range.lowerBound
        if buffer[index] == UInt8(ascii: "[") {
            index += 1
            let literalStart = index
            while index < range.upperBound, buffer[index] != UInt8(ascii: "]") {
                let byte = buffer[index]
                guard isUnreservedOrSubDelim(byte) || byte == ParserBytes.colon else { return false }
                index += 1
            }
            guard index < range.upperBound, index > literalStart else { return false }
            index += 1
        } else {
            let hostStart = index
            while index < range.upperBound, buffer[index] != ParserBytes.colon {
                let byte = buffer[index]
                if byte == UInt8(ascii: "%") {
                    guard index + 2 < range.upperBound, ParserBytes.hexValue(buffer[index + 1]) != nil,
                          ParserBytes.hexValue(buffer[index + 2]) != nil else { return false }
                    index += 3
                    continue
                }
                guard isUnreservedOrSubDelim(byte) else { return false }
                index += 1
            }
            guard index > hostStart else { return false }
        }
        guard index < range.upperBound else { return true }
        guard buffer[index] == ParserBytes.colon else { return false }
        index += 1
        while index < range.upperBound {
            guard ParserBytes.isDigit(buffer[index]) else { return false }
            index += 1
        }
        return true
    }

    @inline(__always)
    private static func isUnreservedOrSubDelim(_ byte: UInt8) -> Bool {
        if ParserBytes.lowercased(byte) &- 0x61 < 26 || ParserBytes.isDigit(byte) { return true }
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }
}
