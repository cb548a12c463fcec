import Synchronization
import VisibleLocks

/// A clock whose time moves only when told to (`advance(by:)`). Tests inject it so every timeout,
/// sweep and grace period is exercised without sleeping: a sleeper whose deadline has passed is
/// resumed by the `advance` that passed it.
///
/// Sleeping is cancellation-safe: cancelling a sleeping task resumes it with `CancellationError`
/// at once and forgets it, whether the cancellation arrives before or after it started waiting.
public final class ManualClock: ExecutionClock {
    private enum Sleeper {
        /// Registered, continuation not yet installed.
        case pending(deadline: Timestamp)
        case waiting(deadline: Timestamp, CheckedContinuation<Void, any Error>)
        /// Cancelled before the continuation was installed.
        case cancelled
    }

    private struct State {
        var now: Timestamp
        var nextID: UInt64 = 0
        var sleepers: [UInt64: Sleeper] = [:]
    }

    private let state: VisibleMutex<State>

    /// Starts at `start` (default: 2023-11-14T22:13:20Z, a fixed point so runs are reproducible).
    public init(start: Timestamp = Timestamp(nanoseconds: 1_700_000_000_000_000_000)) {
        state = VisibleMutex(State(now: start))
    }

    public func now() -> Timestamp { state.withLock { $0.now } }

    /// How many tasks are currently sleeping on this clock (tests wait for a timer to be armed).
    public var sleeperCount: Int {
        state.withLock { state in
            state.sleepers.values.reduce(0) { count, sleeper in
                if case .cancelled = sleeper { return count }
                return count + 1
            }
        }
    }

    /// Moves time forward and resumes every sleeper whose deadline is now reached.
    public func advance(by duration: Duration) {
        let due: [CheckedContinuation<Void, any Error>] = state.withLock { state in
            state.now = state.now + duration
            var due: [CheckedContinuation<Void, any Error>] = []
            for (id, sleeper) in state.sleepers {
                if case .waiting(let deadline, let continuation) = sleeper, deadline <= state.now {
                    state.sleepers[id] = nil
                    due.append(continuation)
                }
            }
            return due
        }
        for continuation in due { continuation.resume() }
    }

    public func sleep(until deadline: Timestamp) async throws {
        try Task.checkCancellation()
        let id: UInt64? = state.withLock { state in
            if deadline <= state.now { return nil }
            state.nextID &+= 1
            state.sleepers[state.nextID] = .pending(deadline: deadline)
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Action { case wait, resume, cancel }
                let action: Action = state.withLock { state in
                    switch state.sleepers[id] {
                    case .pending(let deadline):
                        if deadline <= state.now {
                            state.sleepers[id] = nil
                            return .resume
                        }
                        state.sleepers[id] = .waiting(deadline: deadline, continuation)
                        return .wait
                    case .cancelled, .waiting, nil:
                        state.sleepers[id] = nil
                        return .cancel
                    }
                }
                switch action {
                case .wait: break
                case .resume: continuation.resume()
                case .cancel: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let continuation: CheckedContinuation<Void, any Error>? = state.withLock { state in
                switch state.sleepers[id] {
                case .pending:
                    state.sleepers[id] = .cancelled
                    return nil
                case .waiting(_, let continuation):
                    state.sleepers[id] = nil
                    return continuation
                case .cancelled, nil:
                    return nil
                }
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Waits (bounded: at most `maxYields` scheduler turns, each with a short real sleep) until at
    /// least `count` tasks sleep on this clock. Returns whether they did. For tests that must arm a
    /// timer before moving time.
    @discardableResult
    public func waitForSleepers(atLeast count: Int, maxYields: Int = 2000) async -> Bool {
        for _ in 0..<maxYields {
            if sleeperCount >= count { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return sleeperCount >= count
    }
}
