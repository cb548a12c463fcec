#if canImport(Glibc)
import Glibc
#endif
import CPlatform
import Synchronization
import VisibleLocks

/// How other threads hand tasks to a reactor: a locked queue plus an eventfd the loop watches,
/// with a flag that saves eventfd writes while a wake-up is already on its way.
///
/// The order that keeps every wake-up (issue 11, item 0): a producer appends its task and then
/// sets the flag, writing the eventfd only if the flag was clear. The loop, woken, first reads
/// the eventfd, then clears the flag, and only then drains the queue. A producer that found the
/// flag set either appended before the clear (so the drain after it takes its task) or found it
/// set by a producer whose eventfd write is still to be read (so the loop wakes again). Clearing
/// before reading would let a read swallow a write made between the two, leaving the flag set
/// for good and every later task waiting for unrelated I/O.
final class ReactorWakeUp: Sendable {
    typealias Task = @Sendable () -> Void

    let eventFD: Int32
    private let queue = VisibleMutex<[Task]>([])
    /// Set by the producer that writes the eventfd; cleared by the loop after reading it.
    private let wakePending = Atomic<Bool>(false)

    init() throws(PlatformError) {
        eventFD = cplatform_eventfd()
        guard eventFD >= 0 else { throw PlatformError.lastError("eventfd") }
    }

    /// Queues `task` and wakes the loop unless a wake-up is already pending. (The loop's own
    /// thread queues its tasks elsewhere, without a lock: see `ReactorLoop.localTasks`.)
    func post(_ task: @escaping Task) {
        queue.withLock { $0.append(task) }
        guard !wakePending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = cplatform_eventfd_signal(eventFD)
    }

    /// How many tasks other threads queued that the loop has not taken yet.
    var queuedCount: Int { queue.withLock { $0.count } }

    /// Wakes the loop whatever the flag says (for `stop`).
    func signal() { _ = cplatform_eventfd_signal(eventFD) }

    /// Loop side, on the eventfd's readiness: read it, then clear the flag (in that order).
    func acknowledge() {
        _ = cplatform_eventfd_drain(eventFD)
        wakePending.store(false, ordering: .sequentiallyConsistent)
    }

    /// Loop side, after `acknowledge`: moves the queued tasks into `batch` (which must be
    /// empty), handing the queue `batch`'s spare capacity in exchange (no allocation).
    func take(into batch: inout [Task]) {
        queue.withLock { swap(&$0, &batch) }
    }

    deinit { _ = close(eventFD) }
}
