import Synchronization
import VisibleLocks

/// A background loop that runs `tick` every `interval` on an `ExecutionClock`, at absolute
/// deadlines (start + k × interval, never behind now) so a manual clock moved before the loop first sleeps still
/// fires. `tick` returns false when its owner is gone, which ends the loop; `stop()` cancels it
/// and waits for it to finish. Background work is never left running after its owner stops.
final class PeriodicTask: Sendable {
    private let task: VisibleMutex<Task<Void, Never>?> = VisibleMutex(nil)

    init(clock: any ExecutionClock, interval: Duration, tick: @escaping @Sendable () -> Bool) {
        let start = clock.now()
        let loop = Task {
            var deadline = start
            while !Task.isCancelled {
                // After a long stall (or a clock moved far ahead) fire once, not once per missed tick.
                deadline = max(deadline + interval, clock.now())
                do { try await clock.sleep(until: deadline) } catch { return }
                if Task.isCancelled || !tick() { return }
            }
        }
        task.withLock { $0 = loop }
    }

    /// Cancels the loop without waiting (for `deinit`s).
    func cancel() {
        task.withLock { $0 }?.cancel()
    }

    /// Cancels the loop and waits until it has returned.
    func stop() async {
        guard let loop = task.withLock({ $0 }) else { return }
        loop.cancel()
        await loop.value
    }

    deinit { task.withLock { $0 }?.cancel() }
}
