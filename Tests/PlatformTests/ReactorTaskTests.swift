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
        // The timer is armed in the same task: a second task from this thread would wake the
        // loop through its eventfd, a third ready event in that iteration.
        _ = running.onLoop { reactor in
            log.withLock { $0.append("written") }
            first.send()
            second.send()
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

    // The trap itself (`value` off the loop thread) is the precondition on `isAccessible`; it is
    // not run as an exit test here: this test process has agent children of its own, and Swift
    // Testing's exit-test monitor spins while unrelated zombies wait to be reaped.
    @Test("a loop-bound value is accessible on its loop thread only, and not before the loop runs")
    func loopBoundChecksThread() throws {
        let running = try RunningReactor()
        defer { running.stop() }
        let bound = LoopBound(1, on: running.reactor)
        #expect(!bound.isAccessible)
        #expect(running.onLoop { _ in bound.isAccessible } == true)
        #expect(running.onLoop { _ in bound.value + 1 } == 2)
        #expect(!bound.isAccessible)

        let idle = try Reactor(name: "not-running")
        #expect(!LoopBound(1, on: idle).isAccessible)
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
