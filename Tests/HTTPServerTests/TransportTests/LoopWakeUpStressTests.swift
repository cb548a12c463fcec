@testable import HTTPServer
import Glibc
import Logging
import Synchronization
import Testing

/// Many threads hand tasks to one loop, each waiting for its task to run before sending the
/// next: the pattern in which a swallowed eventfd wake-up shows (a task then waits for
/// unrelated I/O, here for ever, since the loop has no connections).
@Suite("Event-loop wake-ups under contention")
struct LoopWakeUpStressTests {
    @Test("every task handed over from 8 threads runs within a bound (no lost wake-up)")
    func noLostWakeUp() throws {
        guard let calls = LinuxCalls.table else { return }
        let loop = try EventLoop(index: 0, calls: calls)
        let shared = ServerShared(configuration: .testing, responder: echoResponder(),
                                  logger: Logger(label: "test"), loopCount: 1)
        let runtime = LoopRuntime(loop: loop, peers: [loop], shared: shared, listenerFD: -1)
        nonisolated(unsafe) let handedRuntime = runtime  // used only by the loop thread below
        let thread = try startThread { handedRuntime.run() }

        let producers = 8
        let rounds = 2_000
        let worst = Atomic<UInt64>(0)
        let stalled = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        var workers: [pthread_t] = []
        for _ in 0..<producers {
            workers.append(try startThread {
                let ran = Atomic<Int>(0)
                for round in 1...rounds {
                    let sent = monotonicNanoseconds()
                    loop.execute { _ in ran.store(round, ordering: .releasing) }
                    // Bounded wait: 2 s is forever for a loop with nothing else to do.
                    while ran.load(ordering: .acquiring) != round {
                        if monotonicNanoseconds() - sent > 2_000_000_000 {
                            stalled.add(1, ordering: .relaxed)
                            return
                        }
                        sched_yield()
                    }
                    let took = monotonicNanoseconds() - sent
                    var seen = worst.load(ordering: .relaxed)
                    while took > seen {
                        let (exchanged, original) = worst.compareExchange(expected: seen, desired: took, ordering: .relaxed)
                        if exchanged { break }
                        seen = original
                    }
                }
                done.add(1, ordering: .relaxed)
            })
        }
        for worker in workers { pthread_join(worker, nil) }
        loop.execute { runtime in runtime.stop() }
        // Wake the loop directly too, so a run that lost a wake-up still ends and reports it.
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(loop.wakeFD, $0.baseAddress, 8) }
        pthread_join(thread, nil)
        loop.closeDescriptors()

        #expect(stalled.load(ordering: .relaxed) == 0, "tasks waited over 2 s for a loop with nothing else to do")
        #expect(done.load(ordering: .relaxed) == producers)
        #expect(worst.load(ordering: .relaxed) < 2_000_000_000)
    }
}
