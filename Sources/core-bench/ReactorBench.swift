#if canImport(Glibc)
import Glibc
#endif
import Platform
import Synchronization

/// The Reactor's own costs: dispatching ready events (256 pipes kept readable, level-triggered,
/// so every iteration hands each one to its handler: what remains is epoll_wait amortised over
/// the batch plus the per-event table lookup and call) and handing a task over from another
/// thread and waiting for it (eventfd wake-up, queue, run).
enum ReactorBench {
    static func run(seconds: Double) {
        print("== reactor")
        dispatch(pipes: 256, seconds: seconds)
        handOver(seconds: seconds)
    }

    final class CountingHandler: ReactorHandler {
        var events = 0
        func reactorEvents(_ events: UInt32, _ reactor: Reactor) { self.events &+= 1 }
    }

    static func dispatch(pipes count: Int, seconds: Double) {
        guard let reactor = try? Reactor(name: "bench") else { print("  cannot create a reactor"); return }
        var pipes: [(read: Int32, write: Int32)] = []
        for _ in 0..<count {
            guard let pipe = try? PlatformCalls.makePipe() else { print("  out of descriptors"); return }
            var byte: UInt8 = 1
            _ = write(pipe.write, &byte, 1)
            pipes.append(pipe)
        }
        defer { for pipe in pipes { close(pipe.read); close(pipe.write) } }
        let readable = pipes.map(\.read)
        let dispatched = Atomic<Int>(0), iterations = Atomic<Int>(0), userNanoseconds = Atomic<Int>(0)
        let nanoseconds = UInt64(seconds * 1e9)
        let started = MonotonicClock.now()
        reactor.execute {
            let handler = CountingHandler()
            let observer = IterationCounter()
            reactor.iterationObserver = observer
            for fd in readable { _ = try? reactor.register(fd: fd, events: Epoll.input, handler: handler) }
            let userStart = threadUserNanoseconds()
            reactor.schedule(at: reactor.now + nanoseconds) {
                userNanoseconds.store(threadUserNanoseconds() - userStart, ordering: .relaxed)
                dispatched.store(handler.events, ordering: .relaxed)
                iterations.store(observer.count, ordering: .relaxed)
                reactor.stop()
            }
        }
        guard let thread = try? ReactorThread.start(name: "bench", { reactor.run() }) else { return }
        thread.join()
        let wall = Double(MonotonicClock.now() - started)
        let events = dispatched.load(ordering: .relaxed)
        print("  \(count) ready pipes: \(Int(Double(events) / wall * 1e9)) events/s, "
              + "\(EventBench.format2(wall / Double(max(events, 1)))) ns per event, of which "
              + "\(EventBench.format2(Double(userNanoseconds.load(ordering: .relaxed)) / Double(max(events, 1)))) ns "
              + "in user space (the rest is epoll_wait), \(iterations.load(ordering: .relaxed)) iterations")
    }

    /// The calling thread's user-space CPU time (RUSAGE_THREAD).
    static func threadUserNanoseconds() -> Int {
        var usage = rusage()
        getrusage(1 /* RUSAGE_THREAD */, &usage)
        return usage.ru_utime.tv_sec * 1_000_000_000 + usage.ru_utime.tv_usec * 1_000
    }

    final class IterationCounter: ReactorIterationObserver {
        var count = 0
        func reactorDidDispatch(readyEvents: Int, now: UInt64, _ reactor: Reactor) { count &+= 1 }
    }

    static func handOver(seconds: Double) {
        guard let reactor = try? Reactor(name: "bench"),
              let thread = try? ReactorThread.start(name: "bench", { reactor.run() }) else { return }
        let ran = Atomic<Int>(0)
        var rounds = 0
        let started = MonotonicClock.now()
        let deadline = started + UInt64(seconds * 1e9)
        while MonotonicClock.now() < deadline {
            rounds += 1
            let round = rounds
            reactor.execute { ran.store(round, ordering: .releasing) }
            while ran.load(ordering: .acquiring) != round { sched_yield() }
        }
        let wall = Double(MonotonicClock.now() - started)
        reactor.stop()
        thread.join()
        print("  task hand-over from another thread and back: \(Int(Double(rounds) / wall * 1e9)) round trips/s, "
              + "\(EventBench.format2(wall / Double(rounds) / 1000)) µs each")
    }
}
