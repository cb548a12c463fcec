import Platform
import Synchronization

/// The thread-safe handle of one HTTP event loop: a `Reactor` of the platform layer (epoll,
/// timers, cross-thread tasks through its eventfd) and the loop's `LoopRuntime`. Other threads
/// (stream writers, WebSocket sessions, the server's lifecycle) reach the loop only through
/// `execute`; everything the loop owns lives in its runtime, which only the loop thread opens.
final class EventLoop: Sendable {
    typealias Task = @Sendable (LoopRuntime) -> Void

    let index: Int
    let reactor: Reactor
    let counters = LoopCounters()
    /// The running loop's runtime: set by the loop's first task, emptied by its last (see
    /// `LoopRuntime.start` and `LoopRuntime.stop`); `LoopBound` opens it on the loop thread only.
    let runtimeSlot: LoopBound<LoopRuntime?>
    /// Timers that other threads scheduled through `ConnectionLoop.schedule(after:)`, by the
    /// number their `ConnectionLoopTimer` carries (see EventLoop+ConnectionLoop.swift).
    let remoteTimers: LoopBound<[UInt64: ReactorTimerID]>
    let remoteTimerNumbers = Atomic<UInt64>(0)

    init(index: Int) throws(HTTPServerError) {
        self.index = index
        do {
            reactor = try Reactor(name: "http-loop-\(index)")
        } catch {
            throw HTTPServerError.system(error.operation, error.code)
        }
        runtimeSlot = LoopBound(nil, on: reactor)
        remoteTimers = LoopBound([:], on: reactor)
    }

    /// Runs `task` with the loop's runtime on the loop thread, soon. Safe from any thread. A
    /// task that arrives after the loop ended is dropped.
    func execute(_ task: @escaping Task) {
        reactor.execute { [self] in
            if let runtime = runtimeOnLoopThread { task(runtime) }
        }
    }

    /// Runs `task` on the loop thread, soon. Safe from any thread (`ConnectionLoop.execute`):
    /// handed to the reactor as given, with no wrapping closure.
    func execute(_ task: @escaping @Sendable () -> Void) { reactor.execute(task) }

    var inLoopThread: Bool { reactor.inReactorThread }

    /// The loop's runtime, for code already running on the loop thread; nil on any other thread
    /// (and before the loop starts or after it ended).
    var runtimeOnLoopThread: LoopRuntime? {
        runtimeSlot.isAccessible ? runtimeSlot.value : nil
    }
}

extension EventLoop {
    /// Whether tasks wait for this loop other than its own end-of-turn flush (see
    /// `LoopRuntime.flushAtEndOfTurn`). Loop thread only; for tests.
    var hasPendingTasks: Bool {
        let flush = runtimeOnLoopThread?.isFlushTaskQueued == true ? 1 : 0
        return reactor.queuedTaskCount > flush
    }
}

/// Counters one loop increments and anyone may read (relaxed: they are statistics). Each loop has
/// its own instance, so loops never contend on one cache line.
final class LoopCounters: Sendable {
    let accepted = Atomic<Int>(0)
    /// Connections this loop serves or is about to adopt (balancing reads it).
    let open = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    /// Pauses of accepting for the accept rate (`AcceptRateLimiter`).
    let acceptsDeferred = Atomic<Int>(0)
    /// The largest outbound queue a stream or WebSocket of this loop ever had (only this loop
    /// writes it: a plain load and store).
    let streamBacklogPeak = Atomic<Int>(0)
    // Padding: keeps two loops' hot counters off one cache line when allocated side by side.
    private let padding: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}
