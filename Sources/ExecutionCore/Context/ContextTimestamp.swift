extension Timestamp {
    /// The same text as `iso8601` ("2026-11-26T07:27:23.123Z"), written straight into the string's
    /// storage: one allocation, no `gmtime_r` (the date arithmetic is
    /// the event encoder's). Contexts stamp their audit metadata with it on the
    /// request path.
    var contextStamp: String {
        guard nanoseconds >= 0 else { return iso8601 } // Int64 nanoseconds: years 1970...2262 here
        let totalSeconds = nanoseconds / 1_000_000_000
        let millis = Int((nanoseconds % 1_000_000_000) / 1_000_000)
        let (year, month, day) = EventJSON.civilDate(daysSinceEpoch: totalSeconds / 86_400)
        let secondOfDay = Int(totalSeconds % 86_400)
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var index = 0
            func put(_ value: Int, _ width: Int) {
                var value = value
                var position = index + width - 1
                while position >= index {
                    buffer[position] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10)
                    value /= 10
                    position -= 1
                }
                index += width
            }
            func put(_ ascii: Unicode.Scalar) {
                buffer[index] = UInt8(ascii: ascii)
                index += 1
            }
            put(year, 4); put("-"); put(month, 2); put("-"); put(day, 2); put("T")
            put(secondOfDay / 3600, 2); put(":"); put(secondOfDay / 60 % 60, 2); put(":")
            put(secondOfDay % 60, 2); put("."); put(millis, 3); put("Z")
            return index
        }
    }
}
