#if canImport(Glibc)
import Glibc
#endif
@testable import Platform
import Testing
import VisibleLocks

@Suite("Reactor: timers")
struct ReactorTimerTests {
    @Test("scheduled tasks fire in deadline order, at or after their deadline; cancelled ones never")
    func deadlineOrder() throws {
        let running = try RunningReactor()
        defer { running.stop() }
        let fired = VisibleMutex<[(label: Int, late: Bool)]>([])
        _ = running.onLoop { reactor in
            let base = reactor.now
            for offset in [40, 10, 30, 5, 20] {
                let deadline = base + UInt64(offset) * 1_000_000
                reactor.schedule(at: deadline) {
                    let onTime = MonotonicClock.now() >= deadline
                    fired.withLock { $0.append((offset, onTime)) }
                }
            }
            let cancelled = reactor.schedule(at: base + 15_000_000) { fired.withLock { $0.append((15, true)) } }
            reactor.cancel(cancelled)
            reactor.cancel(cancelled) // twice: harmless
        }
        #expect(waitUntil { fired.withLock { $0.count } == 5 })
        usleep(30_000)
        let order = fired.withLock { $0 }
        #expect(order.map(\.label) == [5, 10, 20, 30, 40])
        #expect(order.allSatisfy { $0.late }, "no task ran before its deadline")
    }

    @Test("a handler's armed timer fires once per arm while registered, never after deregister")
    func handlerTimers() throws {
        let running = try RunningReactor()
        defer { running.stop() }
        let kept = try TestPipe(), dropped = try TestPipe()
        let keptHandler = RecordingHandler(), droppedHandler = RecordingHandler()
        _ = running.onLoop { reactor in
            guard let keptToken = try? reactor.register(fd: kept.read, events: Epoll.input, handler: keptHandler),
                  let droppedToken = try? reactor.register(fd: dropped.read, events: Epoll.input, handler: droppedHandler)
            else { return }
            reactor.armTimer(keptToken, at: reactor.now + 10_000_000)
            reactor.armTimer(keptToken, at: reactor.now + 20_000_000)
            reactor.armTimer(droppedToken, at: reactor.now + 10_000_000)
            reactor.deregister(droppedToken)
        }
        #expect(waitUntil { keptHandler.timersFired == 2 })
        usleep(30_000)
        #expect(keptHandler.timersFired == 2)
        #expect(droppedHandler.timersFired == 0)
    }

    @Test("cancelling many tasks compacts the heap; the rest still fire in order")
    func compaction() throws {
        let running = try RunningReactor()
        defer { running.stop() }
        let fired = VisibleMutex<[Int]>([])
        let heapSize = running.onLoop { reactor -> Int in
            let base = reactor.now + 20_000_000
            var ids: [ReactorTimerID] = []
            for index in 0..<300 {
                ids.append(reactor.schedule(at: base + UInt64(300 - index) * 10_000) { fired.withLock { $0.append(index) } })
            }
            for (index, id) in ids.enumerated() where index % 10 != 0 { reactor.cancel(id) }
            return reactor.timerCount
        }
        #expect((heapSize ?? .max) < 300, "stale entries were dropped")
        #expect(waitUntil { fired.withLock { $0.count } == 30 })
        usleep(20_000)
        #expect(fired.withLock { $0 } == stride(from: 290, through: 0, by: -10).map { $0 })
    }
}
