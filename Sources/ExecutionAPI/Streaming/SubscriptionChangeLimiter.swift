import ExecutionCore

/// How often one stream may change its subscription (a WebSocket `subscribe` message): a burst
/// of `burst`, then `perSecond` on average (a token bucket). Each change re-reads the hub's
/// retained log for the new filter and replays it, so a client changing filters in a loop
/// would make the server re-send the log without end (issue 12, item 4). A change past the
/// limit is refused with an error frame; the stream goes on under its current filter.
struct SubscriptionChangeLimiter {
    static let burst = 10.0
    static let perSecond = 5.0

    private var tokens = SubscriptionChangeLimiter.burst
    private var lastRefill: ContinuousClock.Instant?

    /// Takes a token if one is left at `now`; false: refuse the change.
    mutating func allow(now: ContinuousClock.Instant) -> Bool {
        if let lastRefill {
            tokens = min(Self.burst, tokens + max(0, (now - lastRefill).secondsDouble) * Self.perSecond)
        }
        lastRefill = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
