/// A loop's share of `HTTPServerConfiguration.maxAcceptsPerSecond` as a token bucket (issue 12,
/// item 3: an accept rate that cannot starve established connections). Owned by one loop's
/// runtime and used only on its thread: no lock, no atomic. Consulted once per accepted
/// connection, never per request.
///
/// The bucket holds at most one second's share (a burst that size is accepted at once); when it
/// is empty the loop stops watching its listening socket until the next token is due, so the
/// connections wait in the kernel's backlog and the loop serves the ones it has.
struct AcceptRateLimiter {
    /// Tokens per nanosecond (0: no rate limit).
    private let perNanosecond: Double
    private let capacity: Double
    private var tokens: Double
    private var refilledAt: UInt64

    /// `perSecond` for the whole server (0: unlimited), shared evenly by `loops` loops.
    init(perSecond: Int, loops: Int, now: UInt64) {
        let share = perSecond > 0 ? Double(perSecond) / Double(max(1, loops)) : 0
        perNanosecond = share / 1e9
        capacity = max(1, share)
        tokens = capacity
        refilledAt = now
    }

    var isLimited: Bool { perNanosecond > 0 }

    /// Whether one more connection may be accepted at `now` (a whole token is there).
    mutating func mayAccept(now: UInt64) -> Bool {
        guard isLimited else { return true }
        if now > refilledAt {
            tokens = min(capacity, tokens + Double(now - refilledAt) * perNanosecond)
            refilledAt = now
        }
        return tokens >= 1
    }

    /// A connection was accepted: one token is used.
    mutating func accepted() {
        guard isLimited else { return }
        tokens -= 1
    }

    /// When the next whole token is due (monotonic nanoseconds), for an empty bucket.
    func nextTokenAt(now: UInt64) -> UInt64 {
        guard isLimited, tokens < 1 else { return now }
        let wait = ((1 - tokens) / perNanosecond).rounded(.up)
        return now &+ UInt64(min(wait, 60e9))
    }
}
