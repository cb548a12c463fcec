#if canImport(Glibc)
import Glibc
#endif
@testable import Platform
import Synchronization
import VisibleLocks

/// A reactor running on its own thread for one test; `onLoop` runs code on it and waits.
final class RunningReactor: Sendable {
    let reactor: Reactor
    let thread: ReactorThread

    init(_ name: String = "test-reactor") throws {
        let reactor = try Reactor(name: name)
        self.reactor = reactor
        thread = try ReactorThread.start(name: name) { reactor.run() }
    }

    /// Runs `body` on the loop thread and returns its result (nil if it did not run in 20 s:
    /// generous, because a CI machine running the whole suite on 2 cores can stall a thread for
    /// seconds).
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (Reactor) -> T) -> T? {
        let result = VisibleMutex<T?>(nil)
        reactor.execute { [reactor] in
            let value = body(reactor)
            result.withLock { $0 = value }
        }
        guard waitUntil({ result.withLock { $0 != nil } }) else { return nil }
        return result.withLock { $0 }
    }

    func stop() {
        reactor.stop()
        thread.join()
    }
}

/// A lock-protected value shared by a test and the code it drives.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: VisibleMutex<Value>
    init(_ value: Value) { mutex = VisibleMutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { withLock { $0 } }
}

/// Polls `condition` every 0.2 ms for up to `seconds`.
func waitUntil(seconds: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
    while MonotonicClock.now() < deadline {
        if condition() { return true }
        usleep(200)
    }
    return condition()
}

/// A pipe whose ends are closed with the value (tests only).
final class TestPipe: Sendable {
    let read: Int32
    let write: Int32

    init() throws {
        (read, write) = try PlatformCalls.makePipe()
        PlatformCalls.setNonBlocking(read)
        PlatformCalls.setNonBlocking(write)
    }

    func send(_ text: String = "x") {
        var bytes = Array(text.utf8)
        _ = Glibc.write(write, &bytes, bytes.count)
    }

    /// Reads whatever is buffered.
    @discardableResult
    func drain() -> String {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(read, &buffer, buffer.count)
            guard count > 0 else { break }
            collected.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: collected, as: UTF8.self)
    }

    deinit {
        close(read)
        close(write)
    }
}

/// A handler that records what it is told; readable from any thread.
final class RecordingHandler: ReactorHandler, Sendable {
    struct Record {
        var events: [UInt32] = []
        var received = ""
        var timersFired = 0
        var onReactorThread = true
    }

    let pipe: TestPipe?
    let record = VisibleMutex(Record())

    init(draining pipe: TestPipe? = nil) { self.pipe = pipe }

    func reactorEvents(_ events: UInt32, _ reactor: Reactor) {
        let text = pipe?.drain() ?? ""
        let onThread = reactor.inReactorThread
        record.withLock {
            $0.events.append(events)
            $0.received += text
            $0.onReactorThread = $0.onReactorThread && onThread
        }
    }

    func reactorTimerFired(_ reactor: Reactor) {
        record.withLock { $0.timersFired += 1 }
    }

    var eventCount: Int { record.withLock { $0.events.count } }
    var received: String { record.withLock { $0.received } }
    var timersFired: Int { record.withLock { $0.timersFired } }
}
