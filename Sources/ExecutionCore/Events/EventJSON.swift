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

    /// The same text as `Timestamp.iso8601` ("2026-11-26T07:27:23.123Z"), exactly 24 bytes at
    /// `text`, without `gmtime_r`. Only for `nanoseconds >= 0`: Int64 nanoseconds end in 2262, so
    /// every such value has a four-digit year.
    static func writeTimestamp(nanoseconds ns: Int64, to text: UnsafeMutablePointer<UInt8>) {
        let totalSeconds = ns / 1_000_000_000
        let millis = Int((ns % 1_000_000_000) / 1_000_000)
        let secondOfDay = Int(totalSeconds % 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: totalSeconds / 86_400)
        @inline(__always) func pair(_ value: Int, at offset: Int) {
            let v = UInt8(truncatingIfNeeded: value)
            text[offset] = UInt8(ascii: "0") &+ v / 10
            text[offset + 1] = UInt8(ascii: "0") &+ v % 10
        }
        pair(year / 100, at: 0); pair(year % 100, at: 2); text[4] = UInt8(ascii: "-")
        pair(month, at: 5); text[7] = UInt8(ascii: "-")
        pair(day, at: 8); text[10] = UInt8(ascii: "T")
        pair(secondOfDay / 3600, at: 11); text[13] = UInt8(ascii: ":")
        pair(secondOfDay / 60 % 60, at: 14); text[16] = UInt8(ascii: ":")
        pair(secondOfDay % 60, at: 17); text[19] = UInt8(ascii: ".")
        text[20] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: millis / 100)
        pair(millis % 100, at: 21); text[23] = UInt8(ascii: "Z")
    }

    /// `Timestamp.iso8601` through the fast writer (falls back for times before 1970).
    static func timestampText(_ timestamp: Timestamp) -> String {
        guard timestamp.nanoseconds >= 0 else { return timestamp.iso8601 }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            writeTimestamp(nanoseconds: timestamp.nanoseconds, to: buffer.baseAddress.unsafelyUnwrapped)
            return 24
        }
    }

    /// Proleptic Gregorian date for a day count since 1970-01-01 (non-negative), after
    /// H. Hinnant's "days_from_civil" inverse.
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}
