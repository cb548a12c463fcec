import Glibc
import Logging

/// Everything one event loop owns: its connections (indexed by descriptor), its timers, its read
/// buffer and date cache. Created and used only on the loop's thread; other threads reach it
/// solely through `EventLoop.execute`, whose tasks receive it as their argument. That is why it
/// needs no lock and is not Sendable.
final class LoopRuntime {
    static let wakeToken: UInt64 = 1 << 63 | 1
    static let listenerToken: UInt64 = 1 << 63 | 2
    static let readBufferSize = 64 * 1024

    let loop: EventLoop
    /// Every loop of the server (this one included), for balancing new connections.
    let peers: [EventLoop]
    let shared: ServerShared
    /// Monotonic nanoseconds, read once per loop iteration.
    private(set) var now: UInt64
    private(set) var date = HTTPDateCache()
    /// Shared by every connection of the loop: received bytes land here first and are copied
    /// into a connection's own buffer only when a request is incomplete.
    let readBuffer: UnsafeMutableRawBufferPointer

    var connections = ConnectionTable()
    /// Reused for TLS plaintext (see `takeTLSScratch`).
    private var tlsScratch: [UInt8] = []
    private var timers = LoopTimers()
    private var cooperativeYield: CooperativeYield
    /// Connections written to on the loop thread outside their own turn (a task, a timer,
    /// another connection's handler), flushed at the end of this loop iteration; and the array
    /// that the flush walks, kept for its capacity.
    private var flushQueue: [UInt64] = []
    private var flushing: [UInt64] = []
    var listener: LoopListener
    var running = true
    var drainStarted = false

    init(loop: EventLoop, peers: [EventLoop], shared: ServerShared, listenerFD: Int32) {
        self.loop = loop
        self.peers = peers
        self.shared = shared
        listener = LoopListener(fd: listenerFD)
        now = monotonicNanoseconds()
        readBuffer = .allocate(byteCount: LoopRuntime.readBufferSize, alignment: 16)
        cooperativeYield = CooperativeYield(enabled: shared.configuration.cooperativeYield)
        date.refresh()
    }

    deinit { readBuffer.deallocate() }

    var logger: Logger { shared.logger }
    var calls: LinuxCalls.Table { loop.calls }

    // MARK: the loop

    func run() {
        loop.markLoopThread(self)
        if listener.fd >= 0, epollControl(calls, epollFD: loop.epollFD, operation: LinuxCalls.epollCtlAdd,
                                           fd: listener.fd, events: LinuxCalls.epollIn, data: LoopRuntime.listenerToken) != 0 {
            logger.error("event loop \(loop.index): cannot watch the listening socket (errno \(errno))")
        }
        let events = EpollEventBuffer(capacity: 512)
        while running {
            let ready = calls.epollWait(loop.epollFD, events.storage, Int32(events.capacity), waitTimeout())
            now = monotonicNanoseconds()
            date.refresh()
            if ready < 0 {
                if errno != EINTR { logger.error("epoll_wait failed (errno \(errno))") }
                continue
            }
            for i in 0..<Int(ready) {
                dispatch(events: events.events(at: i), token: events.data(at: i))
            }
            cooperativeYield.afterBatch(readyEvents: Int(ready), now: now)
            runTasks()
            fireTimers()
            if !flushQueue.isEmpty { flushWrittenConnections() }
        }
        closeListener()
        closeAllConnections(reason: .serverShutdown)
        // Connections handed to this loop while it stopped are closed by their tasks.
        runTasks()
        loop.unmarkLoopThread()
    }

    private func dispatch(events: UInt32, token: UInt64) {
        switch token {
        case LoopRuntime.wakeToken:
            loop.acknowledgeWake()
        case LoopRuntime.listenerToken:
            acceptConnections()
        default:
            connection(for: token)?.handle(events: events)
        }
    }

    private func waitTimeout() -> Int32 {
        if loop.hasPendingTasks { return 0 }
        guard let earliest = timers.earliest else { return -1 }
        let current = monotonicNanoseconds()
        guard earliest > current else { return 0 }
        let milliseconds = (earliest - current + 999_999) / 1_000_000
        return Int32(clamping: milliseconds)
    }

    func runTasks() {
        // Tasks queued by tasks run in the next iteration (epoll_wait then does not sleep).
        for task in loop.takeTasks() {
            switch task {
            case .runtime(let task): task(self)
            case .plain(let task): task()
            }
        }
    }

    // MARK: connections

    /// The live connection a token names (nil when it closed meanwhile).
    func connection(for token: UInt64) -> HTTPConnection? { connections.connection(for: token) }

    /// The loop's plaintext buffer for TLS reads, taken out while in use.
    func takeTLSScratch() -> [UInt8] {
        var scratch: [UInt8] = []
        swap(&scratch, &tlsScratch)
        return scratch
    }

    func returnTLSScratch(_ scratch: [UInt8]) {
        guard scratch.capacity <= 256 * 1024 else { return }
        tlsScratch = scratch
        tlsScratch.removeAll(keepingCapacity: true)
    }

    /// Ends the turn of `connection` at the end of this loop iteration (it was written to from
    /// outside its own turn). Once per connection per iteration.
    func flushAtEndOfTurn(_ connection: HTTPConnection) {
        guard !connection.flushScheduled else { return }
        connection.flushScheduled = true
        flushQueue.append(connection.token)
    }

    private func flushWrittenConnections() {
        // A connection's turn may write to others (a stream ending runs handlers): go on until
        // none is left.
        while !flushQueue.isEmpty {
            swap(&flushQueue, &flushing)
            for token in flushing {
                guard let connection = connection(for: token), connection.flushScheduled else { continue }
                connection.finishTurn()
            }
            flushing.removeAll(keepingCapacity: true)
        }
    }

    /// Called by a connection as it closes.
    func forget(_ connection: HTTPConnection) {
        connections.remove(connection)
        loop.counters.open.wrappingSubtract(1, ordering: .relaxed)
        shared.openConnections.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        if drainStarted { shared.checkDrainComplete() }
    }

    /// Changes the epoll interest of a registered connection.
    func updateInterest(fd: Int32, token: UInt64, events: UInt32) {
        _ = epollControl(calls, epollFD: loop.epollFD, operation: LinuxCalls.epollCtlMod, fd: fd, events: events, data: token)
    }

    // MARK: timers

    /// Makes sure the connection's timer fires no later than its `deadline`. Moving a deadline
    /// later costs nothing: the earlier heap entry re-arms itself when it fires (see fireTimers).
    func armTimer(for connection: HTTPConnection) {
        let deadline = connection.deadline.at
        guard deadline < connection.armedDeadline else { return }
        connection.armedDeadline = deadline
        timers.arm(deadline: deadline, token: connection.token)
    }

    /// Runs `task` on this loop at `deadline` (monotonic nanoseconds).
    func schedule(at deadline: UInt64, _ task: @escaping (LoopRuntime) -> Void) {
        schedule(token: loop.newTimerToken(), at: deadline, .runtime(task))
    }

    /// Runs `task` at `deadline` unless `cancelTimer(token)` comes first.
    func schedule(token: UInt64, at deadline: UInt64, _ task: LoopTimers.Task) {
        timers.schedule(token: token, at: deadline, task)
    }

    /// Forgets a timer task (its heap entry is skipped when it comes due).
    func cancelTimer(_ token: UInt64) { timers.cancel(token: token) }

    private func fireTimers() {
        guard let earliest = timers.earliest, earliest <= now else { return }
        while let due = timers.popDue(now: now) {
            guard case .connection(let token, let deadline) = due else {
                switch due {
                case .task(.runtime(let task)?): task(self)
                case .task(.plain(let task)?): task()
                default: break  // cancelled
                }
                continue
            }
            guard let connection = connection(for: token), connection.armedDeadline == deadline else { continue }
            connection.armedDeadline = .max
            if connection.deadline.at <= now {
                connection.deadlineReached()
            } else if connection.deadline.at != .max {
                armTimer(for: connection)
            }
        }
    }

    // MARK: accepting and lifecycle

    func closeListener() {
        guard listener.fd >= 0 else { return }
        if !listener.paused {
            _ = epollControl(calls, epollFD: loop.epollFD, operation: LinuxCalls.epollCtlDel, fd: listener.fd, events: 0, data: 0)
        }
        close(listener.fd)
        listener.fd = -1
    }

    /// Drain, step 2 (after the delay): stop accepting, close idle connections, tell streams,
    /// and close whatever is left at `deadline`.
    func beginDrain(deadline: UInt64) {
        guard !drainStarted else { return }
        drainStarted = true
        closeListener()
        shared.loopsStoppedAccepting.wrappingAdd(1, ordering: .acquiringAndReleasing)
        for connection in connections.all { connection.serverDraining() }
        schedule(at: deadline) { runtime in runtime.closeAllConnections(reason: .serverShutdown) }
        shared.checkDrainComplete()
    }

    /// Ends the loop: everything is closed and the thread returns.
    func stop() {
        running = false
    }

    func closeAllConnections(reason: StreamCloseReason) {
        for connection in connections.all { connection.closeNow(reason: reason) }
    }
}
