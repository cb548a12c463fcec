#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Which thread is running a reactor's loop right now (none before `run` and after it returns).
/// Shared by the reactor and every `LoopBound` of it: their loop-only state is usable exactly
/// when `isCurrent` holds.
final class ReactorThreadOwnership: Sendable {
    /// pthread_self() of the running loop thread, 0 when none.
    private let owner = Atomic<UInt>(0)

    /// Whether the calling thread is the loop thread. Relaxed is enough: a thread only ever
    /// finds its own id here if it stored it itself (program order), and a stale value seen by
    /// another thread is never that thread's own id.
    @inline(__always)
    var isCurrent: Bool { owner.load(ordering: .relaxed) == UInt(pthread_self()) }

    /// Claims the loop for the calling thread; false when another `run` already holds it.
    func claim() -> Bool {
        owner.compareExchange(expected: 0, desired: UInt(pthread_self()), ordering: .acquiringAndReleasing).exchanged
    }

    func release() { owner.store(0, ordering: .releasing) }
}
