#if canImport(Glibc)
import Glibc
#endif

/// The one place timestamps become text: RFC 3339 / ISO 8601 in UTC with milliseconds
/// ("2026-11-26T07:27:23.123Z"), used by contexts, engines, runs, events and logs.
extension Timestamp {
    /// Exactly 24 bytes. Computed without `gmtime_r` (contexts and events stamp every request
    /// and event with it); times before 1970 take the C library's path.
    public var iso8601: String {
        guard nanoseconds >= 0 else { return gmtimeISO8601 }
        return String(unsafeUninitializedCapacity: Timestamp.iso8601Length) { buffer in
            Timestamp.writeISO8601(nanoseconds: nanoseconds, to: buffer.baseAddress.unsafelyUnwrapped)
            return Timestamp.iso8601Length
        }
    }

    static let iso8601Length = 24

    /// The same text through the C library (`gmtime_r`): the reference the fast writer is
    /// tested against, and the path for times before 1970.
    var gmtimeISO8601: String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var millis = Int((nanoseconds % 1_000_000_000) / 1_000_000)
        if millis < 0 { millis += 1000; seconds -= 1 }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func pad(_ value: Int, _ width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var v = value
            for i in stride(from: width - 1, through: 0, by: -1) {
                digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            out.append(contentsOf: digits)
        }
        pad(Int(parts.tm_year) + 1900, 4); out.append(UInt8(ascii: "-"))
        pad(Int(parts.tm_mon) + 1, 2); out.append(UInt8(ascii: "-"))
        pad(Int(parts.tm_mday), 2); out.append(UInt8(ascii: "T"))
        pad(Int(parts.tm_hour), 2); out.append(UInt8(ascii: ":"))
        pad(Int(parts.tm_min), 2); out.append(UInt8(ascii: ":"))
        pad(Int(parts.tm_sec), 2); out.append(UInt8(ascii: "."))
        pad(millis, 3); out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `iso8601`'s 24 bytes written at `text` (the event encoder writes them straight into an
    /// envelope). Only for `nanoseconds >= 0`: Int64 nanoseconds end in 2262, so every such
    /// value has a four-digit year.
    static func writeISO8601(nanoseconds ns: Int64, to text: UnsafeMutablePointer<UInt8>) {
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
