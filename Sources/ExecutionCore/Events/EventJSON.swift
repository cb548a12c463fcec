/// Low-level JSON writing for envelopes: the same text as `JSONValue`'s serializer, minus the
/// allocations that matter when it runs once per published event. `JSONValue.write` uses the
/// string and number writers too; event data goes through it with `memberOrder: .asStored`.
enum EventJSON {
    /// The UTF-8 length of `string` when it needs no escaping in JSON, else nil.
    @inline(__always)
    static func plainLength(_ string: String) -> Int? {
        var string = string
        return string.withUTF8 { needsEscaping($0) ? nil : $0.count }
    }

    /// Whether any byte is a control character, `"` or `\`. Eight bytes at a time (SWAR): ids
    /// and names are scanned on every publish.
    static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            // A byte is flagged when it is < 0x20 or equal to 0x22 or 0x5C (bytes >= 0x80 can
            // raise false flags; those words are rechecked byte by byte below).
            let below = (word &- ones &* 0x20) & ~word
            let quote = word ^ (ones &* 0x22)
            let slash = word ^ (ones &* 0x5C)
            let flags = (below | ((quote &- ones) & ~quote) | ((slash &- ones) & ~slash)) & highs
            if flags != 0 {
                for offset in index..<(index + 8) where isEscaped(base[offset]) { return true }
            }
            index += 8
        }
        while index < bytes.count {
            if isEscaped(base[index]) { return true }
            index += 1
        }
        return false
    }

    @inline(__always)
    static func isEscaped(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x22 || byte == 0x5C }

    /// A JSON string literal. Same output as `JSONValue.writeString`; the common case (nothing
    /// to escape) is one scan and a single copy.
    static func writeString(_ value: String, into out: inout [UInt8]) {
        var value = value
        let copied = value.withUTF8 { bytes -> Bool in
            guard !needsEscaping(bytes) else { return false }
            out.append(0x22)
            out.append(contentsOf: bytes)
            out.append(0x22)
            return true
        }
        if !copied { JSONValue.writeString(value, into: &out) }
    }

    /// Decimal digits of `value`, built right to left in a small stack buffer, then one copy.
    static func writeUnsigned(_ value: UInt64, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var magnitude = value
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }
}
