import Glibc
import Platform

/// After a busy batch, an event loop steps aside (`sched_yield`) for whatever else is runnable
/// on its core, then carries on.
///
/// Why: when the loop shares its cores with short-running peers of the same request flow (a
/// load generator or sidecar proxy on the host, the service's own other threads), a loop that
/// always has work never gives up the core on its own; its peers wait for the scheduler to
/// preempt it, a whole time slice (milliseconds) at a time, and every request they carry waits
/// with them. Yielding after each busy batch hands the core over at once, and the peer's next
/// requests are already there when the loop comes back. Measured on 2 cores shared with wrk:
/// GET p99 7.3 ms -> 0.6 ms, and 190k -> 215k requests/s (the peer no longer stalls).
///
/// The guard: a yield that keeps the loop away for longer than `longYield` means a CPU-bound
/// thread took a full slice, not a short peer. Yielding to such threads only gives throughput
/// away, so the loop stops yielding for `pause` and tries again after it. (Measured with two
/// busy-looping processes in the same cgroup: 40k requests/s without the guard, 116-158k with
/// it, 121-141k never yielding. Processes in another cgroup are not affected either way: the
/// scheduler picks between groups first.)
///
/// An idle or lightly loaded loop wakes for one or two events at a time and never yields.
struct CooperativeYield {
    /// Ready events in one wake-up from which the batch counts as busy.
    static let busyBatch = 8
    static let longYield: UInt64 = 3_000_000
    static let pause: UInt64 = 20_000_000

    let enabled: Bool
    /// Yielding is paused until this monotonic time (after a long yield).
    private(set) var pausedUntil: UInt64 = 0
    private(set) var yields = 0
    private(set) var pauses = 0

    init(enabled: Bool) { self.enabled = enabled }

    /// Called after handling `readyEvents` events at monotonic time `now` (the loop's wake-up
    /// time). `yieldNow` gives up the core and returns how long the loop was away.
    mutating func afterBatch(readyEvents: Int, now: UInt64, yieldNow: () -> UInt64 = CooperativeYield.schedYield) {
        guard enabled, readyEvents >= Self.busyBatch, now >= pausedUntil else { return }
        let away = yieldNow()
        yields += 1
        if away > Self.longYield {
            pausedUntil = now &+ away &+ Self.pause
            pauses += 1
        }
    }

    /// `sched_yield`, timed.
    static func schedYield() -> UInt64 {
        let start = MonotonicClock.now()
        sched_yield()
        return MonotonicClock.now() &- start
    }
}
