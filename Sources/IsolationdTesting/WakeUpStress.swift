#if canImport(Glibc)
import Glibc
#endif
import Platform
import Synchronization

/// Many threads hand tasks to one loop, each waiting for its task to run before sending the next:
/// the pattern in which a swallowed eventfd wake-up shows (issue 11, item 0). The loop has nothing
/// else to do, so a task whose wake-up was lost would wait for ever; each is given `bound`.
/// Shared by the reactor's own test (PlatformTests) and the HTTP loop's (HTTPServerTests), which
/// differ only in how a task is handed over.
public enum WakeUpStress {
    public struct Outcome: Sendable {
        /// Producers that gave up on a task after `bound`.
        public var stalled: Int
        /// Producers that handed over all their rounds.
        public var finished: Int
        /// The longest any task waited, in nanoseconds.
        public var worstWait: UInt64
    }

    /// Hand-overs per producer: 6,000 (with the old acknowledge order one of the two stress
    /// tests failed in every run of four); under ThreadSanitizer, which makes each hand-over
    /// some twenty times dearer and is there to find races rather than this bug, 500.
    public static let defaultRounds = SanitizerDetection.threadSanitizerActive ? 500 : 6_000

    /// Runs `producers` threads of `rounds` hand-overs each through `handOver`, which must run its
    /// argument on the loop under test. Awaited, not blocking: the producers are joined on a
    /// thread of their own, so the test never holds a thread of the cooperative pool (on two
    /// cores, two blocked tests stall every other test of the run).
    public static func run(producers: Int = 8, rounds: Int = defaultRounds, bound: UInt64 = 2_000_000_000,
                           handOver: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void) async throws -> Outcome {
        let worst = Atomic<UInt64>(0)
        let stalled = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        let workers = try (0..<producers).map { index in
            try ReactorThread.start(name: "producer-\(index)") {
                // Each producer sleeps on a semaphore until its task ran: waiting by spinning
                // would keep every core busy and starve the rest of a parallel test run.
                let ran = TaskRanSignal()
                for _ in 1...rounds {
                    let sent = MonotonicClock.now()
                    handOver { ran.post() }
                    guard ran.wait(nanoseconds: bound) else {
                        stalled.add(1, ordering: .relaxed)
                        return
                    }
                    let took = MonotonicClock.now() - sent
                    var seen = worst.load(ordering: .relaxed)
                    while took > seen {
                        let (exchanged, original) = worst.compareExchange(expected: seen, desired: took, ordering: .relaxed)
                        if exchanged { break }
                        seen = original
                    }
                }
                finished.add(1, ordering: .relaxed)
            }
        }
        try await BlockingIO.run { for worker in workers { worker.join() } }
        return Outcome(stalled: stalled.load(ordering: .relaxed), finished: finished.load(ordering: .relaxed),
                       worstWait: worst.load(ordering: .relaxed))
    }
}

/// A POSIX semaphore a task posts when it ran, waited for with a bound.
///
/// `@unchecked Sendable`: the only state is the `sem_t`, allocated once, never moved, and used
/// only through `sem_post` and `sem_timedwait`, which POSIX makes safe from any thread; it is
/// destroyed in `deinit`, when no thread can hold the object any more.
final class TaskRanSignal: @unchecked Sendable {
    private let semaphore: UnsafeMutablePointer<sem_t>

    init() {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    func post() { sem_post(semaphore) }

    /// Whether a post came within `nanoseconds` (CLOCK_REALTIME, as sem_timedwait wants).
    func wait(nanoseconds: UInt64) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let total = UInt64(deadline.tv_nsec) + nanoseconds
        deadline.tv_sec += Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        while sem_timedwait(semaphore, &deadline) != 0 {
            guard errno == EINTR else { return false }
        }
        return true
    }
}
