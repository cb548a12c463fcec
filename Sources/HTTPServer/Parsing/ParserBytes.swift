/// Byte classification and scanning shared by the head parser and the chunked decoder.
/// Everything here runs for every received byte, so it uses no lazily initialised tables and
/// never allocates; strings are created only for complete fields.
enum ParserBytes {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let comma: UInt8 = 0x2C
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let backslash: UInt8 = 0x5C
    static let del: UInt8 = 0x7F

    /// tchar (RFC 9110 §5.6.2) as a 256-entry table, "1" where byte n is a tchar:
    /// `! # $ % & ' * + - . ^ _ ` | ~`, digits and letters. A static string needs no lazy
    /// initialisation and makes the test one load; checked against the RFC's list in tests.
    static let tokenTable: StaticString = "0000000000000000000000000000000001011111001101101111111111000000011111111111111111111111111000111111111111111111111111111110101000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"

    @inline(__always)
    static func isTokenChar(_ byte: UInt8) -> Bool { tokenTable.utf8Start[Int(byte)] == 0x31 }

    /// Optional whitespace (OWS, RFC 9110 §5.6.3): space or horizontal tab.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// A byte that may not appear inside any line of a head: CR, LF, the other controls except
    /// HTAB, and DEL. Field values may hold HTAB, SP, VCHAR and obs-text (0x80...0xFF).
    @inline(__always)
    static func isControl(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != tab) || byte == del }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// The value of a hexadecimal digit, or nil.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> Int? {
        if byte &- 0x30 < 10 { return Int(byte &- 0x30) }
        let lower = byte | 0x20
        if lower &- 0x61 < 6 { return Int(lower &- 0x61) + 10 }
        return nil
    }

    /// ASCII lower case of a byte (only A-Z change).
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 { byte &- 0x41 < 26 ? byte | 0x20 : byte }

    /// The index of the first control byte (see `isControl`) in `start..<end`, or `end`.
    /// Eight bytes at a time: a word with no byte below 0x20 and no 0x7F is skipped whole; a word
    /// that has one (often just a HTAB) is then checked byte by byte.
    @inline(__always)
    static func firstControl(in buffer: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while end - index >= 8 {
            let word = buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            // Bit 7 of a byte is set in `below` only if some byte is < 0x20 (exact as a whole-word
            // test; borrows may mark later bytes too, which the byte loop below sorts out).
            let below = (word &- ones &* 0x20) & ~word & highBits
            let delta = word ^ (ones &* 0x7F)
            let isDel = (delta &- ones) & ~delta & highBits
            if below | isDel != 0 {
                for offset in index..<(index + 8) where isControl(buffer[offset]) { return offset }
            }
            index += 8
        }
        while index < end {
            if isControl(buffer[index]) { return index }
            index += 1
        }
        return end
    }

    /// True when `buffer[range]` equals `lowercaseLiteral` ignoring ASCII case. The literal must be lower case.
    @inline(__always)
    static func equalsIgnoringCase(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>,
                                   _ lowercaseLiteral: StaticString) -> Bool {
        guard range.count == lowercaseLiteral.utf8CodeUnitCount else { return false }
        let literal = lowercaseLiteral.utf8Start
        var offset = 0
        for index in range {
            if lowercased(buffer[index]) != literal[offset] { return false }
            offset += 1
        }
        return true
    }

    /// True when `buffer[range]` equals `literal` exactly.
    @inline(__always)
    static func equals(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let bytes = literal.utf8Start
        var offset = 0
        for index in range {
            if buffer[index] != bytes[offset] { return false }
            offset += 1
        }
        return true
    }

    /// `range` without leading and trailing OWS.
    @inline(__always)
    static func trimmingWhitespace(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, isWhitespace(buffer[lower]) { lower += 1 }
        while upper > lower, isWhitespace(buffer[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// Calls `body` with each element of a comma-separated list (RFC 9110 §5.6.1) in
    /// `buffer[range]`, trimmed of OWS. Empty elements are passed too; callers decide.
    @inline(__always)
    static func forEachListElement<E: Error>(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>,
                                             _ body: (Range<Int>) throws(E) -> Void) throws(E) {
        var start = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            if buffer[index] == comma {
                try body(trimmingWhitespace(buffer, start..<index))
                start = index + 1
            }
            index += 1
        }
        try body(trimmingWhitespace(buffer, start..<range.upperBound))
    }

    /// A String of the bytes in `range`; invalid UTF-8 (possible only in obs-text) is repaired
    /// with U+FFFD.
    @inline(__always)
    static func string(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        guard !range.isEmpty, let base = buffer.baseAddress else { return "" }
        let bytes = UnsafeBufferPointer(start: (base + range.lowerBound).assumingMemoryBound(to: UInt8.self),
                                        count: range.count)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `a + b` for non-negative values, saturating at `Int.max` instead of trapping.
    @inline(__always)
    static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b < 0 ? Int.min : Int.max) : sum
    }
}
