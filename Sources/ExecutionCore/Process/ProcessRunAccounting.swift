import Synchronization
import VisibleLocks

/// Counters shared by the handle (any thread) and the supervisor (reactor thread): runs not yet
/// over, run ids, and each user's agent processes (from `start` until the child is reaped, or
/// its run abandoned before a spawn), for the per-user process cap.
final class ProcessRunAccounting: Sendable {
    let activeRuns = Atomic<Int>(0)
    let nextRunID = Atomic<UInt64>(1)
    private let perUser = VisibleMutex<[String: Int]>([:])

    /// Counts one process of `userID` unless the user already has `limit`; returns whether it
    /// was counted. An empty user id (benchmarks) and a nil limit are never refused.
    func admit(userID: String, limit: Int?) -> Bool {
        guard !userID.isEmpty else { return true }
        return perUser.withLock { counts in
            let current = counts[userID, default: 0]
            if let limit, current >= limit { return false }
            counts[userID] = current + 1
            return true
        }
    }

    /// The process counted by `admit` is gone.
    func release(userID: String) {
        guard !userID.isEmpty else { return }
        perUser.withLock { counts in
            let remaining = counts[userID, default: 1] - 1
            counts[userID] = remaining > 0 ? remaining : nil
        }
    }

    /// The user's agent processes now.
    func processes(of userID: String) -> Int { perUser.withLock { $0[userID, default: 0] } }
}
