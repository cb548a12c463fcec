#if canImport(Glibc)
import Glibc
#endif

/// A point in wall-clock time, nanoseconds since the Unix epoch (UTC).
public struct Timestamp: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public init(seconds: Double) { nanoseconds = Int64(seconds * 1e9) }

    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanoseconds < b.nanoseconds }
    public static func + (t: Timestamp, d: Duration) -> Timestamp { Timestamp(nanoseconds: t.nanoseconds + d.nanoseconds) }
    public static func - (t: Timestamp, d: Duration) -> Timestamp { Timestamp(nanoseconds: t.nanoseconds - d.nanoseconds) }
    public static func - (a: Timestamp, b: Timestamp) -> Duration { .nanoseconds(a.nanoseconds - b.nanoseconds) }
}

extension Duration {
    /// Whole nanoseconds (saturating at Int64's range).
    public var nanoseconds: Int64 {
        let (s, atto) = components
        let (ns, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? .min : .max }
        return ns &+ atto / 1_000_000_000
    }
    public var secondsDouble: Double { Double(nanoseconds) / 1e9 }
}

/// The one source of time for the core. Production uses `SystemClock`; tests inject a manual
/// clock and move it forward, so every timeout and sweep is tested without sleeping.
public protocol ExecutionClock: Sendable {
    func now() -> Timestamp
    /// Suspends until `now() >= deadline` on this clock. Throws `CancellationError` if the task is
    /// cancelled first.
    func sleep(until deadline: Timestamp) async throws
}

extension ExecutionClock {
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now() + duration)
    }
}

/// The real clock: CLOCK_REALTIME for timestamps, Task.sleep for waiting.
public struct SystemClock: ExecutionClock {
    public init() {}
    public func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }
    public func sleep(until deadline: Timestamp) async throws {
        let remaining = deadline - now()
        if remaining > .zero { try await Task.sleep(for: remaining) }
        try Task.checkCancellation()
    }
}
