/// Reading `Authorization: Bearer <token>` (RFC 6750 §2.1) without copying the token.
enum BearerCredentials {
    /// The token's byte range within `header`, or `.malformedHeader`. The scheme is matched
    /// case-insensitively; the token must be token68 (`A-Z a-z 0-9 - . _ ~ + /` then `=`*).
    static func tokenRange(in header: UnsafeBufferPointer<UInt8>, maxBytes: Int) throws(AuthError) -> Range<Int> {
        var start = 0, end = header.count
        while start < end, header[start] == 0x20 || header[start] == 0x09 { start += 1 }
        while end > start, header[end - 1] == 0x20 || header[end - 1] == 0x09 { end -= 1 }
        let scheme: [UInt8] = Array("bearer".utf8)
        guard end - start > scheme.count else { throw .malformedHeader }
        for i in 0..<scheme.count where header[start + i] | 0x20 != scheme[i] { throw .malformedHeader }
        var tokenStart = start + scheme.count
        guard header[tokenStart] == 0x20 else { throw .malformedHeader }
        while tokenStart < end, header[tokenStart] == 0x20 { tokenStart += 1 }
        guard tokenStart < end, end - tokenStart <= maxBytes else { throw .malformedHeader }
        var sawPadding = false
        for i in tokenStart..<end {
            let c = header[i]
            if c == UInt8(ascii: "=") {
                sawPadding = true
                continue
            }
            guard !sawPadding, isToken68(c) else { throw .malformedHeader }
        }
        guard header[tokenStart] != UInt8(ascii: "=") else { throw .malformedHeader }
        return tokenStart..<end
    }

    private static func isToken68(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"): true
        default: false
        }
    }
}
