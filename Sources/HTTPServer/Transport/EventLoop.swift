import Glibc
import Synchronization
import VisibleLocks

/// The thread-safe handle of one event loop: other threads (stream writers, WebSocket sessions,
/// the server's lifecycle) reach the loop only through `execute`, which queues a task and wakes
/// the loop through its eventfd. Everything the loop owns lives in its `LoopRuntime`, which only
/// the loop thread ever sees; tasks receive it as their argument.
final class EventLoop: Sendable {
    typealias Task = @Sendable (LoopRuntime) -> Void

    /// A queued task: the server's own take the runtime, `ConnectionLoop` users' take nothing
    /// (kept apart so that handing one over does not wrap it in a second closure).
    enum QueuedTask {
        case runtime(Task)
        case plain(@Sendable () -> Void)
    }

    let index: Int
    let epollFD: Int32
    let wakeFD: Int32
    let calls: LinuxCalls.Table
    let counters = LoopCounters()

    private struct Queue {
        var tasks: [QueuedTask] = []
        /// Set when the descriptors are closed: later tasks are dropped, and no wake-up is ever
        /// written to a closed (perhaps reused) descriptor number.
        var closed = false
    }

    private let queue = VisibleMutex(Queue())
    private let wakePending = Atomic<Bool>(false)
    /// pthread_self() of the loop thread while it runs (0 before and after): lets `execute` from
    /// the loop itself skip the eventfd write, since the loop drains its queue before sleeping
    /// again, and lets code on the loop reach its runtime (`runtimeOnLoopThread`).
    private let loopThread = Atomic<UInt>(0)
    /// The runtime of the running loop. Safe without a lock because only one thread ever touches
    /// it: the loop thread writes it (as it starts and as it ends, see `markLoopThread` and
    /// `unmarkLoopThread`), and it is read only through `runtimeOnLoopThread`, which hands it
    /// out only to a caller for which `inLoopThread` holds, that is, to the loop thread itself.
    nonisolated(unsafe) private var runtime: LoopRuntime?
    /// Numbers for timer tokens (see `newTimerToken`), unique per loop.
    private let timerIDs = Atomic<UInt64>(0)

    init(index: Int, calls: LinuxCalls.Table) throws(HTTPServerError) {
        self.index = index
        self.calls = calls
        let epollFD = calls.epollCreate1(LinuxCalls.epollCloexec)
        guard epollFD >= 0 else { throw HTTPServerError.system("epoll_create1", errno) }
        let wakeFD = calls.eventFD(0, LinuxCalls.eventFDNonblock | LinuxCalls.eventFDCloexec)
        guard wakeFD >= 0 else {
            close(epollFD)
            throw HTTPServerError.system("eventfd", errno)
        }
        guard epollControl(calls, epollFD: epollFD, operation: LinuxCalls.epollCtlAdd, fd: wakeFD,
                           events: LinuxCalls.epollIn, data: LoopRuntime.wakeToken) == 0 else {
            let error = errno
            close(epollFD)
            close(wakeFD)
            throw HTTPServerError.system("epoll_ctl(eventfd)", error)
        }
        self.epollFD = epollFD
        self.wakeFD = wakeFD
    }

    /// Runs `task` on the loop thread, soon. Safe from any thread.
    func execute(_ task: @escaping Task) { enqueue(.runtime(task)) }

    /// Runs `task` on the loop thread, soon. Safe from any thread (`ConnectionLoop.execute`).
    func execute(_ task: @escaping @Sendable () -> Void) { enqueue(.plain(task)) }

    private func enqueue(_ task: QueuedTask) {
        let inLoop = inLoopThread
        queue.withLock { queue in
            guard !queue.closed else { return }
            queue.tasks.append(task)
            // The loop drains its queue before sleeping again, so it needs no wake-up from
            // itself; other threads write the eventfd once per batch (coalesced by the flag).
            guard !inLoop, !wakePending.exchange(true, ordering: .acquiringAndReleasing) else { return }
            var one: UInt64 = 1
            _ = withUnsafeBytes(of: &one) { write(wakeFD, $0.baseAddress, 8) }
        }
    }

    var inLoopThread: Bool {
        loopThread.load(ordering: .relaxed) == UInt(pthread_self())
    }

    // MARK: loop-side (called by LoopRuntime on the loop thread)

    /// The loop's runtime, for code already running on the loop thread; nil on any other thread.
    var runtimeOnLoopThread: LoopRuntime? { inLoopThread ? runtime : nil }

    /// A token for a new timer task: `LoopTimers.taskTokenBit` and a number unique to this loop.
    func newTimerToken() -> UInt64 {
        LoopTimers.taskTokenBit | timerIDs.wrappingAdd(1, ordering: .relaxed).newValue & (LoopTimers.taskTokenBit - 1)
    }

    /// The loop thread starts running `runtime`.
    func markLoopThread(_ runtime: LoopRuntime) {
        self.runtime = runtime
        loopThread.store(UInt(pthread_self()), ordering: .releasing)
    }

    /// The loop thread is ending: no caller is on this loop any more (and the runtime goes).
    func unmarkLoopThread() {
        loopThread.store(0, ordering: .releasing)
        runtime = nil
    }

    /// Consumes the eventfd counter after a wake-up. The order matters: the counter is read
    /// first and the flag cleared after, and the caller drains the task queue after both. A
    /// producer that sets the flag between the two steps has its task taken by that drain; one
    /// that sets it after writes the eventfd again. Clearing the flag first (as this once did)
    /// let a producer's write be consumed by this read while the flag stayed set for good: every
    /// later cross-thread task then waited for unrelated I/O.
    func acknowledgeWake() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { read(wakeFD, $0.baseAddress, 8) }
        wakePending.store(false, ordering: .sequentiallyConsistent)
    }

    var hasPendingTasks: Bool { queue.withLock { !$0.tasks.isEmpty } }

    func takeTasks() -> [QueuedTask] {
        queue.withLock { queue in
            if queue.tasks.isEmpty { return [] }
            let taken = queue.tasks
            queue.tasks.removeAll(keepingCapacity: true)
            return taken
        }
    }

    /// Closes the descriptors once the loop thread has ended (idempotent).
    func closeDescriptors() {
        queue.withLock { queue in
            guard !queue.closed else { return }
            queue.closed = true
            queue.tasks.removeAll()
            close(wakeFD)
            close(epollFD)
        }
    }
}

/// Counters one loop increments and anyone may read (relaxed: they are statistics). Each loop has
/// its own instance, so loops never contend on one cache line.
final class LoopCounters: Sendable {
    let accepted = Atomic<Int>(0)
    /// Connections this loop serves or is about to adopt (balancing reads it).
    let open = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    // Padding: keeps two loops' hot counters off one cache line when allocated side by side.
    private let padding: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}

/// Starts a detached-from-Swift-concurrency POSIX thread running `body`; returns its handle for join.
func startThread(_ body: @escaping @Sendable () -> Void) throws(HTTPServerError) -> pthread_t {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { raw in
        guard let raw else { return nil }
        let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
        box.body()
        return nil
    }, context)
    guard result == 0 else {
        Unmanaged<Box>.fromOpaque(context).release()
        throw HTTPServerError.system("pthread_create", result)
    }
    return thread
}
