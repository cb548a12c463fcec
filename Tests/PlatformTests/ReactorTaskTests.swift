#if canImport(Glibc)
import Glibc
#endif
@testable import Platform
import Synchronization
import Testing
import VisibleLocks

@Suite("Reactor: tasks, stop and the iteration observer")
struct ReactorTaskTests {
    @Test("tasks from several threads all run, on the reactor thread")
    func executeFromThreads() throws {
        let running = try RunningReactor()
        defer { running.stop() }
        let counter = try #require(running.onLoop { reactor in LoopBound(0, on: reactor) })
        let offThread = Atomic<Int>(0)
        let reactor = running.reactor
        let producers = try (0..<4).map { index in
            try ReactorThread.start(name: "producer-\(index)") {
                for _ in 0..<500 {
                    reactor.execute {
                        if !reactor.inReactorThread { offThread.add(1, ordering: .relaxed) }
                        counter.value += 1
                    }
                }
            }
        }
        for producer in producers { producer.join() }
        #expect(waitUntil { running.onLoop { _ in counter.value } == 2_000 })
        let ranElsewhere = offThread.load(ordering: .relaxed)
        #expect(ranElsewhere == 0)
        #expect(!reactor.inReactorThread)
    }

    @Test("a task queued by a task runs in the next iteration, without the loop sleeping")
    func taskQueuedByTask() throws {
        let running = try RunningReactor()
        defer { running.stop() }
        let observer = CountingObserver()
        let iterations = running.onLoop { reactor -> UInt64 in
            reactor.iterationObserver = observer
            return observer.iterations.load(ordering: .relaxed)
        }
        let ranIn = VisibleMutex<[UInt64]>([])
        _ = running.onLoop { reactor in
            let now = observer.iterations.load(ordering: .relaxed)
            ranIn.withLock { $0.append(now) }
            reactor.execute {
                ranIn.withLock { $0.append(observer.iterations.load(ordering: .relaxed)) }
            }
        }
        #expect(waitUntil { ranIn.withLock { $0.count } == 2 })
        let seen = ranIn.withLock { $0 }
        #expect(iterations != nil)
        #expect(seen.count == 2 && seen[1] == seen[0] + 1, "the follow-up ran one iteration later: \(seen)")
    }

    @Test("stop: run returns after queued tasks ran, from another thread and from a task")
    func stopAndJoin() throws {
        let reactor = try Reactor(name: "stopping")
        let thread = try ReactorThread.start(name: "stopping") { reactor.run() }
        let ran = Atomic<Int>(0)
        for _ in 0..<100 { reactor.execute { ran.add(1, ordering: .relaxed) } }
        reactor.stop()
        reactor.execute { ran.add(1, ordering: .relaxed) } // queued before run returns or not at all
        thread.join()
        let ranCount = ran.load(ordering: .relaxed)
        #expect(ranCount >= 100)
        thread.join() // idempotent

        let second = try Reactor(name: "self-stop")
        let secondThread = try ReactorThread.start(name: "self-stop") { second.run() }
        let followUp = Atomic<Bool>(false)
        second.execute {
            second.stop()
            second.execute { followUp.store(true, ordering: .relaxed) }
        }
        secondThread.join()
        let followedUp = followUp.load(ordering: .relaxed)
        #expect(followedUp, "a task queued by the stopping task still ran")
    }

    @Test("the iteration observer is called once per iteration with the ready-event count")
    func iterationObserver() throws {
        let running = try RunningReactor()
        defer { running.stop() }
        let first = try TestPipe(), second = try TestPipe()
        let log = Locked<[String]>([])
        let observer = LoggingObserver(log: log)
        _ = running.onLoop { reactor in
            reactor.iterationObserver = observer
            for pipe in [first, second] {
                _ = try? reactor.register(fd: pipe.read, events: Epoll.input, handler: LoggingHandler(pipe: pipe, log: log))
            }
        }
        // Written from the loop thread: the next iteration has exactly these two events (no
        // eventfd wake-up: the loop's own tasks need none).
        _ = running.onLoop { reactor in
            log.withLock { $0.append("written") }
            first.send()
            second.send()
            // And an iteration without events: a timer's.
            reactor.schedule(at: reactor.now + 5_000_000) {}
        }
        #expect(waitUntil { log.withLock { $0.contains("ready 0") && $0.contains("event") } })
        let entries = log.withLock { $0 }
        let afterWrite = Array(entries.drop { $0 != "written" }.dropFirst())
        #expect(Array(afterWrite.prefix(3)) == ["event", "event", "ready 2"], "\(entries)")
        // Every observer call reports at least the handler calls made since the previous one.
        var handled = 0
        for entry in entries {
            if entry == "event" { handled += 1 }
            if entry.hasPrefix("ready "), let count = Int(entry.dropFirst(6)) {
                #expect(count >= handled)
                handled = 0
            }
        }
    }

    // Not an exit test of the trap itself: Swift Testing's exit-test monitor waits with
    // waitid(P_ALL, WNOWAIT) and spins for ever on any unreaped child of the test process, which
    // the process-agent tests (a child subreaper) leave behind. The trap is
    // `precondition(isAccessible)`; what can be tested is when that holds.
    @Test("a loop-bound value is accessible only on its loop thread, while the loop runs")
    func loopBoundChecksThread() throws {
        let reactor = try Reactor(name: "bound")
        let bound = LoopBound(1, on: reactor)
        #expect(!bound.isAccessible, "before run")
        let onLoop = Atomic<Int>(0)
        let thread = try ReactorThread.start(name: "bound") { reactor.run() }
        reactor.execute {
            onLoop.store(bound.isAccessible && bound.value == 1 ? 1 : 2, ordering: .releasing)
            reactor.stop()
        }
        #expect(!bound.isAccessible, "on another thread while it runs")
        thread.join()
        let seenOnLoop = onLoop.load(ordering: .acquiring)
        #expect(seenOnLoop == 1, "on the loop thread")
        #expect(!bound.isAccessible, "after run returned")
    }
}

final class CountingObserver: ReactorIterationObserver, Sendable {
    let iterations = Atomic<UInt64>(0)
    func reactorDidDispatch(readyEvents: Int, now: UInt64, _ reactor: Reactor) {
        iterations.add(1, ordering: .relaxed)
    }
}

final class LoggingObserver: ReactorIterationObserver, Sendable {
    let log: Locked<[String]>
    init(log: Locked<[String]>) { self.log = log }
    func reactorDidDispatch(readyEvents: Int, now: UInt64, _ reactor: Reactor) {
        log.withLock { $0.append("ready \(readyEvents)") }
    }
}

final class LoggingHandler: ReactorHandler, Sendable {
    let pipe: TestPipe
    let log: Locked<[String]>
    init(pipe: TestPipe, log: Locked<[String]>) {
        self.pipe = pipe
        self.log = log
    }
    func reactorEvents(_ events: UInt32, _ reactor: Reactor) {
        pipe.drain()
        log.withLock { $0.append("event") }
    }
}
