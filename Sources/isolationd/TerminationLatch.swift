import VisibleLocks

/// Remembers the first termination signal so it can be awaited, even when it arrived before
/// anyone waited (handlers are installed before the server starts, so none is lost).
public final class TerminationLatch: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Int32, Never>])
        case signalled(Int32)
    }
    private let state = VisibleMutex(State.waiting([]))

    public init() {}

    /// Records `signalNumber` (the first call wins) and wakes every waiter.
    public func signal(_ signalNumber: Int32) {
        let waiters: [CheckedContinuation<Int32, Never>] = state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = .signalled(signalNumber)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: signalNumber) }
    }

    /// The first signal's number, as soon as there is one.
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let already: Int32? = state.withLock { state in
                switch state {
                case .signalled(let number): return number
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return nil
                }
            }
            if let already { continuation.resume(returning: already) }
        }
    }
}
