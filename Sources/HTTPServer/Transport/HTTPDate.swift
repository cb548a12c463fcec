import Glibc

/// The `Date` header value (IMF-fixdate, RFC 9110 §5.6.7), formatted at most once per second per
/// loop: every response copies 29 cached bytes.
struct HTTPDateCache {
    private(set) var bytes: [UInt8] = Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8)
    private var second: Int = -1
    /// Monotonic time at which the wall-clock second may have changed (0: refresh at once), so
    /// the loop reads the wall clock once a second, not once per iteration.
    private(set) var validUntil: UInt64 = 0

    /// Re-reads the wall clock (coarse, a vDSO call) and reformats when the second changed.
    /// `monotonicNow`: the loop's time, from which the next second's start is reckoned.
    mutating func refresh(monotonicNow: UInt64 = 0) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        let now = Int(ts.tv_sec)
        validUntil = monotonicNow &+ UInt64(max(1, 1_000_000_000 - Int(ts.tv_nsec)))
        if now != second {
            second = now
            bytes = HTTPDateCache.format(epochSeconds: now)
        }
    }

    static func format(epochSeconds: Int) -> [UInt8] {
        var t = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out.append(contentsOf: days[Int(parts.tm_wday) % 7].utf8)
        out.append(contentsOf: ", ".utf8)
        appendTwoDigits(Int(parts.tm_mday), to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: months[Int(parts.tm_mon) % 12].utf8)
        out.append(UInt8(ascii: " "))
        let year = Int(parts.tm_year) + 1900
        appendTwoDigits(year / 100, to: &out)
        appendTwoDigits(year % 100, to: &out)
        out.append(UInt8(ascii: " "))
        appendTwoDigits(Int(parts.tm_hour), to: &out)
        out.append(UInt8(ascii: ":"))
        appendTwoDigits(Int(parts.tm_min), to: &out)
        out.append(UInt8(ascii: ":"))
        appendTwoDigits(Int(parts.tm_sec), to: &out)
        out.append(contentsOf: " GMT".utf8)
        return out
    }

    private static func appendTwoDigits(_ value: Int, to out: inout [UInt8]) {
        let v = max(0, value) % 100
        out.append(UInt8(ascii: "0") + UInt8(v / 10))
        out.append(UInt8(ascii: "0") + UInt8(v % 10))
    }
}
