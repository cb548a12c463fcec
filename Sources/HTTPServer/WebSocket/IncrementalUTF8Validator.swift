/// Validates UTF-8 fed in arbitrary pieces (a text message arrives in fragments split anywhere,
/// even inside a code point). Rejects everything RFC 3629 forbids: stray continuation bytes,
/// overlong forms, UTF-16 surrogates (U+D800...U+DFFF) and values above U+10FFFF. It fails at
/// the first bad byte, so a connection can be failed before the rest of the message arrives.
public struct IncrementalUTF8Validator: Sendable {
    /// Continuation bytes still expected for the current code point.
    private var pending = 0
    /// Allowed range of the next continuation byte; narrower than 0x80...0xBF right after
    /// lead bytes E0, ED, F0 and F4, which is how overlongs and surrogates are excluded.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    public init() {}

    /// True when no code point is cut off at the end of what was fed so far.
    public var isAtCodePointBoundary: Bool { pending == 0 }

    /// Feeds more bytes; false as soon as they cannot be part of valid UTF-8. After a false the
    /// validator's state is unspecified: start a new one.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            index += 1
            if pending == 0 {
                if byte < 0x80 { continue }
                guard startCodePoint(lead: byte) else { return false }
            } else {
                guard byte >= lower, byte <= upper else { return false }
                pending -= 1
                lower = 0x80
                upper = 0xBF
            }
        }
        return true
    }

    /// Convenience for arrays.
    public mutating func feed(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { feed($0) }
    }

    private mutating func startCodePoint(lead: UInt8) -> Bool {
        switch lead {
        case 0xC2...0xDF: pending = 1
        case 0xE0: pending = 2; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: pending = 2
        case 0xED: pending = 2; upper = 0x9F
        case 0xF0: pending = 3; lower = 0x90
        case 0xF1...0xF3: pending = 3
        case 0xF4: pending = 3; upper = 0x8F
        default: return false  // 0x80...0xC1 (continuation or overlong lead), 0xF5...0xFF
        }
        return true
    }
}
