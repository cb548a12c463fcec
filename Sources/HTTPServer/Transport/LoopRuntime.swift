import Glibc
import Logging
import Platform

/// Everything one event loop owns: its connections (indexed by descriptor), its timers, its read
/// buffer and date cache. Created and used only on the loop's thread; other threads reach it
/// solely through `EventLoop.execute`, whose tasks receive it as their argument. That is why it
/// needs no lock and is not Sendable.
final class LoopRuntime: ReactorHandler, ReactorIterationObserver {
    static let readBufferSize = 64 * 1024

    let loop: EventLoop
    /// Every loop of the server (this one included), for balancing new connections.
    let peers: [EventLoop]
    let shared: ServerShared
    private var dateCache = HTTPDateCache()
    /// Shared by every connection of the loop: received bytes land here first and are copied
    /// into a connection's own buffer only when a request is incomplete.
    let readBuffer: UnsafeMutableRawBufferPointer

    var connections = ConnectionTable()
    /// Reused for TLS plaintext (see `takeTLSScratch`).
    private var tlsScratch: [UInt8] = []
    private var cooperativeYield: CooperativeYield
    /// Connections written to on the loop thread outside their own turn, flushed by one
    /// reactor task before the loop sleeps (see `flushAtEndOfTurn`).
    private var pendingFlushes = PendingFlushes()
    private let flushTask: @Sendable () -> Void
    var listener: LoopListener
    /// This loop's share of `maxAcceptsPerSecond`.
    var acceptRate: AcceptRateLimiter
    var running = true
    var drainStarted = false

    private init(loop: EventLoop, peers: [EventLoop], shared: ServerShared, listenerFD: Int32) {
        self.loop = loop
        self.peers = peers
        self.shared = shared
        listener = LoopListener(fd: listenerFD)
        readBuffer = .allocate(byteCount: LoopRuntime.readBufferSize, alignment: 16)
        cooperativeYield = CooperativeYield(enabled: shared.configuration.cooperativeYield)
        let start = loop.reactor.now
        now = start
        acceptRate = AcceptRateLimiter(perSecond: shared.configuration.maxAcceptsPerSecond, loops: shared.loopCount,
                                       now: start)
        flushTask = { [unowned loop] in loop.runtimeOnLoopThread?.flushWrittenConnections() }
    }

    deinit { readBuffer.deallocate() }

    var logger: Logger { shared.logger }
    var reactor: Reactor { loop.reactor }
    /// Monotonic nanoseconds, the reactor's time for this iteration (kept here as the reactor
    /// wakes: connections read it several times per request, and a stored value costs no call).
    private(set) var now: UInt64

    /// The `Date` header's bytes, reformatted once the wall-clock second may have changed.
    var date: HTTPDateCache {
        let now = self.now
        if now >= dateCache.validUntil { dateCache.refresh(monotonicNow: now) }
        return dateCache
    }

    // MARK: the loop

    /// Queues the making of the loop's runtime as the reactor's first task (the runtime is made
    /// on the loop thread, which alone may own it). Called before the loop's thread starts, so
    /// every task handed to the loop afterwards (a `stop` right after `start`) finds the runtime.
    static func install(loop: EventLoop, peers: [EventLoop], shared: ServerShared, listenerFD: Int32) {
        loop.reactor.execute {
            let runtime = LoopRuntime(loop: loop, peers: peers, shared: shared, listenerFD: listenerFD)
            loop.runtimeSlot.value = runtime
            runtime.start()
        }
    }

    /// The end-of-turn flush task is queued (for `EventLoop.hasPendingTasks`).
    var isFlushTaskQueued: Bool { pendingFlushes.taskQueued }

    private func start() {
        reactor.iterationObserver = self
        if listener.fd >= 0 { watchListener() }
    }

    /// The listening socket is ready: accept.
    func reactorEvents(_ events: UInt32, _ reactor: Reactor) { acceptConnections() }

    func reactorDidWake(now: UInt64, _ reactor: Reactor) { self.now = now }

    /// After each batch of ready events: step aside after a busy one.
    func reactorDidDispatch(readyEvents: Int, now: UInt64, _ reactor: Reactor) {
        cooperativeYield.afterBatch(readyEvents: readyEvents, now: now)
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
        pendingFlushes.tokens.append(connection.token)
        if !pendingFlushes.taskQueued {
            pendingFlushes.taskQueued = true
            reactor.execute(flushTask)
        }
    }

    private func flushWrittenConnections() {
        defer { pendingFlushes.taskQueued = false }
        // A connection's turn may write to others (a stream ending runs handlers): go on until
        // none is left.
        while !pendingFlushes.tokens.isEmpty {
            let batch = pendingFlushes.takeBatch()
            for token in batch {
                guard let connection = connection(for: token), connection.flushScheduled else { continue }
                connection.finishTurn()
            }
            pendingFlushes.giveBack(batch)
        }
    }

    /// Called by a connection as it closes.
    func forget(_ connection: HTTPConnection) {
        if let registration = connection.registration { reactor.deregister(registration) }
        connections.remove(connection)
        loop.counters.open.wrappingSubtract(1, ordering: .relaxed)
        shared.guards.admission.release(connection.peer)
        shared.openConnections.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        if drainStarted { shared.checkDrainComplete() }
    }

    // MARK: timers

    /// Makes sure the connection's timer fires no later than its `deadline`. Moving a deadline
    /// later costs nothing: the earlier arm re-arms itself when it fires (`connectionTimerFired`).
    func armTimer(for connection: HTTPConnection) {
        let deadline = connection.deadline.at
        guard deadline < connection.armedDeadline, let registration = connection.registration else { return }
        connection.armedDeadline = deadline
        reactor.armTimer(registration, at: deadline)
    }

    /// A connection's arm came due. Arms are never cancelled, so this may be an older one: only
    /// once the latest arm's time has come does the connection check its current deadline.
    func connectionTimerFired(_ connection: HTTPConnection) {
        guard now >= connection.armedDeadline else { return }
        connection.armedDeadline = .max
        if connection.deadline.at <= now {
            connection.deadlineReached()
        } else if connection.deadline.at != .max {
            armTimer(for: connection)
        }
    }

    /// Runs `task` on this loop at `deadline` (monotonic nanoseconds).
    func schedule(at deadline: UInt64, _ task: @escaping (LoopRuntime) -> Void) {
        reactor.schedule(at: deadline) { [unowned self] in task(self) }
    }

    // MARK: accepting and lifecycle

    func closeListener() {
        guard listener.fd >= 0 else { return }
        unwatchListener()
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

    /// Ends the loop: everything is closed, the reactor stops (tasks already queued still run:
    /// a connection handed over meanwhile is closed by its `adopt`), and the thread returns.
    func stop() {
        guard running else { return }
        running = false
        closeListener()
        closeAllConnections(reason: .serverShutdown)
        reactor.iterationObserver = nil
        reactor.stop()
        // Last of all (the runtime and its loop hold each other): the slot lets the runtime go.
        reactor.execute { [loop] in loop.runtimeSlot.value = nil }
    }

    func closeAllConnections(reason: StreamCloseReason) {
        for connection in connections.all { connection.closeNow(reason: reason) }
    }
}

/// The connections a loop flushes at the end of its turn (written to outside their own turn),
/// the array the flush walks (kept for its capacity), and whether the flush task is queued.
struct PendingFlushes {
    var tokens: [UInt64] = []
    private var spare: [UInt64] = []
    var taskQueued = false

    /// The tokens queued so far; later ones queue into the spare array.
    mutating func takeBatch() -> [UInt64] {
        var batch = spare
        spare = []
        swap(&batch, &tokens)
        return batch
    }

    /// A walked batch's storage, kept for the next one.
    mutating func giveBack(_ batch: [UInt64]) {
        var emptied = batch
        emptied.removeAll(keepingCapacity: true)
        spare = emptied
    }
}
