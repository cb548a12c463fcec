import Synchronization
import VisibleLocks

/// The breaker's state as seen from outside.
public enum CircuitBreakerState: String, Sendable, Equatable, CaseIterable {
    /// Work goes through; consecutive failures are counted.
    case closed
    /// Work is refused at once until the cool-down ends.
    case open
    /// The cool-down is over: one probe may go through; its result closes or reopens the breaker.
    case halfOpen = "half_open"
}

/// A circuit breaker around engine builds (SPEC.md §2): closed → open after `failureThreshold`
/// consecutive failures; open refuses fast for `cooldown`; then half-open lets exactly one probe
/// through: success closes it, failure opens it again. It knows nothing of per-user quotas.
public final class CircuitBreaker: Sendable {
    /// Permission to attempt the guarded work; report its result with exactly one of
    /// `recordSuccess`, `recordFailure` or `abandon`.
    public struct Permit: Sendable, Equatable {
        /// True for the single half-open probe.
        public let isProbe: Bool
    }

    public enum Decision: Sendable, Equatable {
        case allowed(Permit)
        case rejected(retryAfter: Duration)
    }

    private enum Phase {
        case closed(consecutiveFailures: Int)
        case open(until: Timestamp)
        case halfOpen(probeInFlight: Bool)
    }

    public let failureThreshold: Int
    public let cooldown: Duration
    /// The retry hint while a half-open probe is in flight.
    public let probeRetryAfter: Duration
    private let clock: any ExecutionClock
    private let phase = VisibleMutex<Phase>(.closed(consecutiveFailures: 0))

    public init(failureThreshold: Int = 5, cooldown: Duration = .seconds(30),
                probeRetryAfter: Duration = .seconds(1), clock: any ExecutionClock = SystemClock()) {
        self.failureThreshold = max(1, failureThreshold)
        self.cooldown = cooldown.clampedForDeadlines
        self.probeRetryAfter = probeRetryAfter.clampedForDeadlines
        self.clock = clock
    }

    public var state: CircuitBreakerState {
        let now = clock.now()
        return phase.withLock { phase in
            switch phase {
            case .closed: .closed
            case .open(let until): now >= until ? .halfOpen : .open
            case .halfOpen: .halfOpen
            }
        }
    }

    /// Consecutive failures counted while closed (0 in the other states).
    public var consecutiveFailures: Int {
        phase.withLock { phase in
            if case .closed(let failures) = phase { return failures }
            return 0
        }
    }

    /// Asks to attempt the work.
    public func acquire() -> Decision {
        let now = clock.now()
        return phase.withLock { phase in
            switch phase {
            case .closed:
                return .allowed(Permit(isProbe: false))
            case .open(let until) where now < until:
                return .rejected(retryAfter: until - now)
            case .open, .halfOpen(probeInFlight: false):
                phase = .halfOpen(probeInFlight: true)
                return .allowed(Permit(isProbe: true))
            case .halfOpen(probeInFlight: true):
                return .rejected(retryAfter: probeRetryAfter)
            }
        }
    }

    public func recordSuccess(_ permit: Permit) {
        phase.withLock { phase in
            switch phase {
            case .closed: phase = .closed(consecutiveFailures: 0)
            case .halfOpen where permit.isProbe: phase = .closed(consecutiveFailures: 0)
            case .open, .halfOpen: break // a success begun before the breaker opened proves nothing now
            }
        }
    }

    public func recordFailure(_ permit: Permit) {
        let now = clock.now()
        phase.withLock { phase in
            switch phase {
            case .closed(let failures):
                phase = failures + 1 >= failureThreshold ? .open(until: now + cooldown) : .closed(consecutiveFailures: failures + 1)
            case .halfOpen where permit.isProbe:
                phase = .open(until: now + cooldown)
            case .open, .halfOpen: break
            }
        }
    }

    /// The permitted work was not attempted after all (e.g. the user's quota refused it): a probe
    /// is handed back so the next caller may probe.
    public func abandon(_ permit: Permit) {
        guard permit.isProbe else { return }
        phase.withLock { phase in
            if case .halfOpen(probeInFlight: true) = phase { phase = .halfOpen(probeInFlight: false) }
        }
    }
}
