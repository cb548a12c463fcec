@testable import HTTPServer
import Glibc
import Logging
import Platform
import IsolationdTesting
import Testing

/// Many threads hand tasks to one HTTP loop (its reactor, run as the server runs it), each
/// waiting for its task to run before sending the next: the pattern in which a swallowed
/// wake-up shows (a task then waits for unrelated I/O, here for ever, since the loop has no
/// connections). The reactor's own wake-up is tested the same way in PlatformTests; this one
/// keeps the HTTP loop's task path (`EventLoop.execute` with the runtime) under the same load.
@Suite("Event-loop wake-ups under contention")
struct LoopWakeUpStressTests {
    @Test("every task handed over from 8 threads runs within a bound (no lost wake-up)")
    func noLostWakeUp() async throws {
        let loop = try EventLoop(index: 0)
        let shared = ServerShared(configuration: .testing, responder: echoResponder(),
                                  logger: Logger(label: "test"), loopCount: 1)
        LoopRuntime.install(loop: loop, peers: [loop], shared: shared, listenerFD: -1)
        let thread = try ReactorThread.start(name: "stress-loop") { loop.reactor.run() }

        let outcome = try await WakeUpStress.run { task in loop.execute { (_: LoopRuntime) in task() } }
        loop.execute { (runtime: LoopRuntime) in runtime.stop() }
        // Stop the reactor directly too (its own wake-up), so a run that lost a wake-up still
        // ends and reports it: tasks queued by then, the one above included, still run.
        loop.reactor.stop()
        thread.join()

        #expect(outcome.stalled == 0, "tasks waited over 2 s for a loop with nothing else to do")
        #expect(outcome.finished == 8)
        #expect(outcome.worstWait < 2_000_000_000)
    }
}
