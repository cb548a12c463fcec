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

    /// Runs `producers` threads of `rounds` hand-overs each through `handOver`, which must run its
    /// argument on the loop under test.
    public static func run(producers: Int = 8, rounds: Int = 2_000, bound: UInt64 = 2_000_000_000,
                           handOver: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void) throws -> Outcome {
        let worst = Atomic<UInt64>(0)
        let stalled = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        let workers = try (0..<producers).map { index in
            try ReactorThread.start(name: "producer-\(index)") {
                let ran = Atomic<Int>(0)
                for round in 1...rounds {
                    let sent = MonotonicClock.now()
                    handOver { ran.store(round, ordering: .releasing) }
                    while ran.load(ordering: .acquiring) != round {
                        if MonotonicClock.now() - sent > bound {
                            stalled.add(1, ordering: .relaxed)
                            return
                        }
                        sched_yield()
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
        for worker in workers { worker.join() }
        return Outcome(stalled: stalled.load(ordering: .relaxed), finished: finished.load(ordering: .relaxed),
                       worstWait: worst.load(ordering: .relaxed))
    }
}
