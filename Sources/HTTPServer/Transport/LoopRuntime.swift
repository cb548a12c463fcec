import Glibc
import Logging

/// Everything one event loop owns: its connections (indexed by descriptor), its timers, its read
/// buffer and date cache. Created and used only on the loop's thread; other threads reach it
/// solely through `EventLoop.execute`, whose tasks receive it as their argument. That is why it
/// needs no lock and is not Sendable.
final class LoopRuntime {
    static let wakeToken: UInt64 = 1 << 63 | 1
    static let listenerToken: UInt64 = 1 << 63 | 2
    /// Timer tokens with this bit are loop tasks, not connections.
    private static let taskTokenBit: UInt64 = 1 << 62
    static let readBufferSize = 64 * 1024

    let loop: EventLoop
    /// Every loop of the server (this one included), for balancing new connections.
    let peers: [EventLoop]
    let shared: ServerShared
    let calls: LinuxCalls.Table
    /// Monotonic nanoseconds, read once per loop iteration.
    private(set) var now: UInt64
    private(set) var date = HTTPDateCache()
    /// Shared by every connection of the loop: received bytes land here first and are copied
    /// into a connection's own buffer only when a request is incomplete.
    let readBuffer: UnsafeMutableRawBufferPointer

    private var connections: [HTTPConnection?] = []
    /// Reused for TLS plaintext (see `takeTLSScratch`).
    private var tlsScratch: [UInt8] = []
    private var timers = TimerHeap()
    private var timerTasks: [UInt64: (LoopRuntime) -> Void] = [:]
    private var nextTimerTaskID: UInt64 = 0
    private var nextSerial: UInt32 = 0
    private var listenerFD: Int32
    private var listenerPaused = false
    private var running = true
    private var drainStarted = false

    init(loop: EventLoop, peers: [EventLoop], shared: ServerShared, listenerFD: Int32) {
        self.loop = loop
        self.peers = peers
        self.shared = shared
        self.calls = loop.calls
        self.listenerFD = listenerFD
        now = monotonicNanoseconds()
        readBuffer = .allocate(byteCount: LoopRuntime.readBufferSize, alignment: 16)
        date.refresh()
    }

    deinit { readBuffer.deallocate() }

    var logger: Logger { shared.logger }

    // MARK: the loop

    func run() {
        loop.markLoopThread()
        if listenerFD >= 0, epollControl(calls, epollFD: loop.epollFD, operation: LinuxCalls.epollCtlAdd,
                                          fd: listenerFD, events: LinuxCalls.epollIn, data: LoopRuntime.listenerToken) != 0 {
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
            runTasks()
            fireTimers()
        }
        closeListener()
        closeAllConnections(reason: .serverShutdown)
        // Connections handed to this loop while it stopped are closed by their tasks.
        runTasks()
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

    private func runTasks() {
        // Tasks queued by tasks run in the next iteration (epoll_wait then does not sleep).
        for task in loop.takeTasks() { task(self) }
    }

    // MARK: connections

    /// The live connection a token names (nil when it closed meanwhile).
    func connection(for token: UInt64) -> HTTPConnection? {
        let fd = Int(token & 0xFFFF_FFFF)
        guard token & (LoopRuntime.taskTokenBit | 1 << 63) == 0, fd < connections.count,
              let connection = connections[fd], connection.token == token else { return nil }
        return connection
    }

    private func acceptConnections() {
        guard listenerFD >= 0 else { return }
        for _ in 0..<128 {
            let fd = calls.accept4(listenerFD, nil, nil, LinuxCalls.sockNonblock | LinuxCalls.sockCloexec)
            if fd < 0 {
                let error = errno
                switch error {
                case EAGAIN, EWOULDBLOCK:
                    return
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    pauseAccepting(errno: error)
                    return
                default:
                    logger.error("accept4 failed (errno \(error))")
                    return
                }
            }
            loop.counters.accepted.wrappingAdd(1, ordering: .relaxed)
            let open = shared.openConnections.wrappingAdd(1, ordering: .relaxed).newValue
            if open > shared.maxConnections {
                shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
                shared.rejectedConnections.wrappingAdd(1, ordering: .relaxed)
                OverCapacityRejection.reject(fd: fd, date: date.bytes)
                continue
            }
            balance(fd: fd)
        }
    }

    /// The kernel spreads accepts over the loops' SO_REUSEPORT sockets by a hash, which leaves
    /// some loops with many more connections than others (and their clients with longer
    /// waits). A connection accepted here goes to the loop with the fewest when this one has
    /// more than that plus one: a task and a wake-up, once per connection.
    private func balance(fd: Int32) {
        var target = loop
        var fewest = loop.counters.open.load(ordering: .relaxed)
        for peer in peers where peer !== loop {
            let count = peer.counters.open.load(ordering: .relaxed)
            if count + 1 < fewest {
                fewest = count
                target = peer
            }
        }
        target.counters.open.wrappingAdd(1, ordering: .relaxed)
        if target === loop {
            register(fd: fd)
        } else {
            target.execute { runtime in runtime.adopt(fd: fd) }
        }
    }

    /// A connection accepted by another loop, now ours.
    private func adopt(fd: Int32) {
        guard running, !drainStarted else {
            loop.counters.open.wrappingSubtract(1, ordering: .relaxed)
            shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
            close(fd)
            if drainStarted { shared.checkDrainComplete() }
            return
        }
        register(fd: fd)
    }

    private func register(fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        nextSerial = (nextSerial &+ 1) & 0x3FFF_FFFF
        let token = UInt64(nextSerial) << 32 | UInt64(UInt32(bitPattern: fd))
        let connection = HTTPConnection(fd: fd, token: token, runtime: self)
        let index = Int(fd)
        if index >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: max(index + 1 - connections.count, connections.count / 2 + 16)))
        }
        connections[index] = connection
        if let context = shared.configuration.tls {
            do {
                connection.tls = try TLSSession(context: context)
            } catch {
                logger.error("cannot create a TLS session: \(error)")
                close(fd)
                connections[index] = nil
                shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
                loop.counters.open.wrappingSubtract(1, ordering: .relaxed)
                return
            }
        }
        guard epollControl(calls, epollFD: loop.epollFD, operation: LinuxCalls.epollCtlAdd, fd: fd,
                           events: connection.interest, data: token) == 0 else {
            logger.error("epoll_ctl(ADD) failed for a new connection (errno \(errno))")
            connection.closeNow(reason: .clientClosed)
            return
        }
        connection.start()
    }

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

    /// Called by a connection as it closes.
    func forget(_ connection: HTTPConnection) {
        let index = Int(connection.fd)
        if index < connections.count, connections[index] === connection { connections[index] = nil }
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
        guard connection.deadline < connection.armedDeadline else { return }
        connection.armedDeadline = connection.deadline
        timers.push(deadline: connection.deadline, token: connection.token)
    }

    /// Runs `task` on this loop at `deadline` (monotonic nanoseconds).
    func schedule(at deadline: UInt64, _ task: @escaping (LoopRuntime) -> Void) {
        nextTimerTaskID &+= 1
        let token = LoopRuntime.taskTokenBit | nextTimerTaskID
        timerTasks[token] = task
        timers.push(deadline: deadline, token: token)
    }

    private func fireTimers() {
        guard let earliest = timers.earliest, earliest <= now else { return }
        while let entry = timers.popDue(now: now) {
            if entry.token & LoopRuntime.taskTokenBit != 0 {
                timerTasks.removeValue(forKey: entry.token)?(self)
                continue
            }
            guard let connection = connection(for: entry.token), connection.armedDeadline == entry.deadline else { continue }
            connection.armedDeadline = .max
            if connection.deadline <= now {
                connection.deadlineReached()
            } else if connection.deadline != .max {
                armTimer(for: connection)
            }
        }
    }

    // MARK: accepting and lifecycle

    private func pauseAccepting(errno error: Int32) {
        guard !listenerPaused, listenerFD >= 0 else { return }
        listenerPaused = true
        logger.warning("accept4: out of descriptors or memory (errno \(error)); pausing accepts for 100 ms")
        _ = epollControl(calls, epollFD: loop.epollFD, operation: LinuxCalls.epollCtlDel, fd: listenerFD, events: 0, data: 0)
        schedule(at: now &+ 100_000_000) { runtime in runtime.resumeAccepting() }
    }

    private func resumeAccepting() {
        guard listenerPaused, listenerFD >= 0 else { return }
        listenerPaused = false
        _ = epollControl(calls, epollFD: loop.epollFD, operation: LinuxCalls.epollCtlAdd, fd: listenerFD,
                         events: LinuxCalls.epollIn, data: LoopRuntime.listenerToken)
    }

    private func closeListener() {
        guard listenerFD >= 0 else { return }
        if !listenerPaused {
            _ = epollControl(calls, epollFD: loop.epollFD, operation: LinuxCalls.epollCtlDel, fd: listenerFD, events: 0, data: 0)
        }
        close(listenerFD)
        listenerFD = -1
    }

    /// Drain, step 2 (after the delay): stop accepting, close idle connections, tell streams,
    /// and close whatever is left at `deadline`.
    func beginDrain(deadline: UInt64) {
        guard !drainStarted else { return }
        drainStarted = true
        closeListener()
        shared.loopsStoppedAccepting.wrappingAdd(1, ordering: .acquiringAndReleasing)
        for index in connections.indices {
            connections[index]?.serverDraining()
        }
        schedule(at: deadline) { runtime in runtime.closeAllConnections(reason: .serverShutdown) }
        shared.checkDrainComplete()
    }

    /// Ends the loop: everything is closed and the thread returns.
    func stop() {
        running = false
    }

    func closeAllConnections(reason: StreamCloseReason) {
        for index in connections.indices {
            connections[index]?.closeNow(reason: reason)
        }
    }
}
