#if canImport(Glibc)
import Glibc
#endif

extension Timestamp {
    /// RFC 3339 / ISO 8601 in UTC with milliseconds: "2026-11-26T07:27:23.123Z".
    public var iso8601: String {
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
}
