import CPlatform

/// The one monotonic clock: CLOCK_MONOTONIC in nanoseconds. Deadlines and durations use it, so
/// they never jump with the wall clock. A vDSO read, about 20 ns; a reactor's handlers use
/// `Reactor.now` instead, read once per iteration.
public enum MonotonicClock {
    @inline(__always)
    public static func now() -> UInt64 { cplatform_monotonic_ns() }
}
