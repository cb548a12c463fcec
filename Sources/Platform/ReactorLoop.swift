#if canImport(Glibc)
import Glibc
#endif
import CPlatform

/// Everything a reactor's loop owns: the epoll descriptor, the handler table, the timers, the
/// tasks queued from the loop thread itself. Reached only through the reactor's `LoopBound`,
/// i.e. on the thread running the loop.
final class ReactorLoop {
    typealias Task = ReactorWakeUp.Task
    /// The eventfd's epoll data: no handler token has this value (its descriptor half is not a
    /// valid index).
    static let wakeToken = UInt64.max
    /// Ready events taken per `epoll_wait`.
    static let readyCapacity = 512

    let epollFD: Int32
    private let wakeUp: ReactorWakeUp
    var handlers = ReactorHandlerTable()
    var timers = ReactorTimers()
    /// Monotonic nanoseconds, read once per iteration right after `epoll_wait`.
    private(set) var now: UInt64
    var observer: (any ReactorIterationObserver)?
    /// Tasks the loop thread queued for itself (no lock, no wake-up: the loop does not sleep
    /// while any is queued).
    var localTasks: [Task] = []
    /// Spare storage for the batches being run, so running tasks allocates nothing.
    private var localBatch: [Task] = []
    private var remoteBatch: [Task] = []
    /// The eventfd was read (or the loop just started): other threads' tasks are to be taken.
    private var wakeReceived = true
    private let readyEvents: UnsafeMutablePointer<cplatform_ready_event>

    init(epollFD: Int32, wakeUp: ReactorWakeUp) {
        self.epollFD = epollFD
        self.wakeUp = wakeUp
        now = MonotonicClock.now()
        readyEvents = .allocate(capacity: Self.readyCapacity)
        readyEvents.initialize(repeating: cplatform_ready_event(), count: Self.readyCapacity)
    }

    deinit {
        readyEvents.deallocate()
        _ = close(epollFD)
    }

    // MARK: The loop

    func run(_ reactor: Reactor) {
        now = MonotonicClock.now()
        reactor.publishNow(now)
        wakeReceived = true
        while !reactor.isStopRequested { iterate(reactor) }
        // Stopped: whatever is queued still runs, and whatever that queues, then the loop ends.
        var ran: Int
        repeat {
            wakeReceived = true
            ran = runTasks(reactor)
        } while ran > 0
    }

    private func iterate(_ reactor: Reactor) {
        let ready = cplatform_epoll_wait(epollFD, readyEvents, Int32(Self.readyCapacity), waitTimeout())
        now = MonotonicClock.now()
        reactor.publishNow(now)
        if let observer { observer.reactorDidWake(now: now, reactor) }
        if ready < 0 {
            // EINTR (a signal) is normal; anything else means the loop's own descriptor or
            // buffer is broken, and carrying on would spin.
            let code = errno
            precondition(code == EINTR, "\(PlatformError("epoll_wait", code: code))")
        }
        let count = Int(Swift.max(ready, 0))
        for index in 0..<count {
            let event = readyEvents[index]
            if event.data == Self.wakeToken {
                wakeUp.acknowledge()
                wakeReceived = true
                continue
            }
            let handler = handlers.handler(for: event.data)
            handler?.reactorEvents(event.events, reactor)
        }
        if let observer { observer.reactorDidDispatch(readyEvents: count, now: now, reactor) }
        runTasks(reactor)
        fireTimers(reactor)
    }

    /// 0 while tasks wait, until the earliest timer otherwise (rounded up to whole
    /// milliseconds, so the timer is due when the loop wakes), -1 (forever) without timers.
    private func waitTimeout() -> Int32 {
        if !localTasks.isEmpty || wakeReceived { return 0 }
        guard let earliest = timers.earliest else { return -1 }
        let current = MonotonicClock.now()
        guard earliest > current else { return 0 }
        return Int32(clamping: (earliest - current + 999_999) / 1_000_000)
    }

    /// Runs the tasks queued before this call: the loop's own, then other threads' (after a
    /// wake-up was acknowledged, which is what makes taking them here safe). Tasks queued by
    /// these tasks run in the next iteration. Returns how many ran.
    @discardableResult
    private func runTasks(_ reactor: Reactor) -> Int {
        // Most iterations of a busy loop carry only ready events: no array is touched then.
        if localTasks.isEmpty, !wakeReceived { return 0 }
        var local = localBatch
        localBatch = []
        swap(&local, &localTasks)
        var remote = remoteBatch
        remoteBatch = []
        if wakeReceived {
            wakeReceived = false
            wakeUp.take(into: &remote)
        }
        for task in local { task() }
        for task in remote { task() }
        let ran = local.count + remote.count
        local.removeAll(keepingCapacity: true)
        remote.removeAll(keepingCapacity: true)
        localBatch = local
        remoteBatch = remote
        return ran
    }

    /// Fires what is due at `now`; at most the entries present at the start, so a handler that
    /// re-arms for a time already past fires again next iteration instead of looping here.
    private func fireTimers(_ reactor: Reactor) {
        guard let earliest = timers.earliest, earliest <= now else { return }
        var budget = timers.count
        while budget > 0, let due = timers.popDue(now: now) {
            budget -= 1
            switch due {
            case .task(let task):
                task()
            case .handler(let token):
                let handler = handlers.handler(for: token.raw)
                handler?.reactorTimerFired(reactor)
            case .stale:
                break
            }
        }
    }

    // MARK: Registrations

    func register(fd: Int32, events: UInt32, handler: any ReactorHandler) throws(PlatformError) -> ReactorToken {
        precondition(fd >= 0, "register: a negative descriptor")
        let token = handlers.nextToken(for: fd)
        guard cplatform_epoll_add(epollFD, fd, events, token.raw) == 0 else {
            throw PlatformError.lastError("epoll_ctl(ADD)")
        }
        handlers.insert(handler, for: token)
        return token
    }

    func modify(_ token: ReactorToken, events: UInt32) {
        guard handlers.isCurrent(token) else { return }
        _ = cplatform_epoll_modify(epollFD, token.fd, events, token.raw)
    }

    func deregister(_ token: ReactorToken) {
        guard handlers.remove(token) else { return }
        // Fails harmlessly (EBADF) when the descriptor was closed first: closing removed it.
        _ = cplatform_epoll_delete(epollFD, token.fd)
    }
}
