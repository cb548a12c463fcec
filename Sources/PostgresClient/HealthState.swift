import Synchronization
import VisibleLocks

/// The pool's health, written by its loop and read from any thread (readiness probes). The
/// flag is an atomic so `isUp` costs one load; the reason sits beside it under a lock.
final class HealthState: Sendable {
    private let up = Atomic<Bool>(false)
    private let current: VisibleMutex<PostgresHealth>

    init(now: UInt64) {
        current = VisibleMutex(.down(reason: "connecting", since: now))
    }

    var isUp: Bool { up.load(ordering: .acquiring) }

    var value: PostgresHealth { current.withLock { $0 } }

    /// Why the pool is down, nil when it is up.
    var downReason: String? {
        current.withLock { health in
            if case .down(let reason, _) = health { return reason }
            return nil
        }
    }

    func markUp() {
        current.withLock { $0 = .up }
        up.store(true, ordering: .releasing)
    }

    /// Down since `now`, or since it first went down when it already was (the reason updates).
    func markDown(reason: String, now: UInt64) {
        current.withLock { health in
            if case .down(_, let since) = health {
                health = .down(reason: reason, since: since)
            } else {
                health = .down(reason: reason, since: now)
            }
        }
        up.store(false, ordering: .releasing)
    }
}
