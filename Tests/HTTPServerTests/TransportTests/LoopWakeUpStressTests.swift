@testable import HTTPServer
import Glibc
import Logging
import Platform
import Synchronization
import Testing

/// Many threads hand tasks to one HTTP loop (its reactor, run as the server runs it), each
/// waiting for its task to run before sending the next: the pattern in which a swallowed
/// wake-up shows (a task then waits for unrelated I/O, here for ever, since the loop has no
/// connections). The reactor's own wake-up is tested the same way in PlatformTests; this one
/// keeps the HTTP loop's task path (`EventLoop.execute` with the runtime) under the same load.
@Suite("Event-loop wake-ups under contention")
struct LoopWakeUpStressTests {
    @Test("every task handed over from 8 threads runs within a bound (no lost wake-up)")
    func noLostWakeUp() throws {
        let loop = try EventLoop(index: 0)
        let shared = ServerShared(configuration: .testing, responder: echoResponder(),
                                  logger: Logger(label: "test"), loopCount: 1)
        LoopRuntime.install(loop: loop, peers: [loop], shared: shared, listenerFD: -1)
        let thread = try ReactorThread.start(name: "stress-loop") { loop.reactor.run() }

        let producers = 8
        let rounds = 2_000
        let worst = Atomic<UInt64>(0)
        let stalled = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        var workers: [ReactorThread] = []
        for index in 0..<producers {
            workers.append(try ReactorThread.start(name: "producer-\(index)") {
                let ran = Atomic<Int>(0)
                for round in 1...rounds {
                    let sent = MonotonicClock.now()
                    loop.execute { (_: LoopRuntime) in ran.store(round, ordering: .releasing) }
                    // Bounded wait: 2 s is forever for a loop with nothing else to do.
                    while ran.load(ordering: .acquiring) != round {
                        if MonotonicClock.now() - sent > 2_000_000_000 {
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
                done.add(1, ordering: .relaxed)
            })
        }
        for worker in workers { worker.join() }
        loop.execute { (runtime: LoopRuntime) in runtime.stop() }
        // Stop the reactor directly too (its own wake-up), so a run that lost a wake-up still
        // ends and reports it: tasks queued by then, the one above included, still run.
        loop.reactor.stop()
        thread.join()

        #expect(stalled.load(ordering: .relaxed) == 0, "tasks waited over 2 s for a loop with nothing else to do")
        #expect(done.load(ordering: .relaxed) == producers)
        #expect(worst.load(ordering: .relaxed) < 2_000_000_000)
    }
}
