#if canImport(Glibc)
import Glibc
#endif
import CPlatform
import Synchronization

/// The one event loop of the platform: epoll over registered descriptors (each with its
/// `ReactorHandler`), timers on one heap, and tasks from any thread woken through an eventfd.
/// HTTP loops, agent processes' pipes and pidfds, and stream delivery all run on reactors.
///
/// This class is the handle, safe to share: `execute`, `stop` and `inReactorThread` may be
/// called from any thread. Everything else is the loop's own (its state sits in a `LoopBound`)
/// and may be used only on the thread inside `run`, i.e. from handlers, tasks and timers; a call
/// from elsewhere traps. To set a loop up before it runs, `execute` the setup: it is the first
/// thing `run` does.
///
/// One iteration: wait for events (not at all while tasks are queued, until the earliest timer
/// otherwise); read `now`; call each ready descriptor's handler; tell the iteration observer;
/// run the tasks queued so far; fire due timers. Per ready event the loop does one array index
/// by descriptor, one serial compare and one protocol call: no lock, no allocation, no dictionary.
public final class Reactor: Sendable {
    public let name: String
    let ownership: ReactorThreadOwnership
    private let wakeUp: ReactorWakeUp
    private let stopRequested = Atomic<Bool>(false)
    /// The loop's `now`, published as it is read: handlers ask for it several times per event,
    /// and a relaxed load costs a plain load, where opening the loop's `LoopBound` costs a thread
    /// check, an exclusivity check and a retain.
    private let iterationTime = Atomic<UInt64>(MonotonicClock.now())
    private let loop: LoopBound<ReactorLoop>

    public init(name: String) throws(PlatformError) {
        let epollFD = cplatform_epoll_create()
        guard epollFD >= 0 else { throw PlatformError.lastError("epoll_create1") }
        let wakeUp: ReactorWakeUp
        do {
            wakeUp = try ReactorWakeUp()
        } catch {
            _ = close(epollFD)
            throw error
        }
        guard cplatform_epoll_add(epollFD, wakeUp.eventFD, Epoll.input, ReactorLoop.wakeToken) == 0 else {
            let error = PlatformError.lastError("epoll_ctl(ADD eventfd)")
            _ = close(epollFD)
            throw error
        }
        let ownership = ReactorThreadOwnership()
        self.name = name
        self.ownership = ownership
        self.wakeUp = wakeUp
        loop = LoopBound(ReactorLoop(epollFD: epollFD, wakeUp: wakeUp), ownership: ownership, name: name)
    }

    // MARK: Any thread

    /// Runs `task` on the loop thread soon: in this iteration's task phase or the next one's.
    /// From another thread the task is queued and the loop woken (one eventfd write per batch:
    /// a flag tells later producers a wake-up is on its way); from the loop thread it is queued
    /// without a lock, and the loop does not sleep before running it.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        if ownership.isCurrent {
            loop.value.localTasks.append(task)
        } else {
            wakeUp.post(task)
        }
    }

    /// Whether the calling thread is the one running this reactor's loop.
    public var inReactorThread: Bool { ownership.isCurrent }

    /// Ends `run` after the current iteration; tasks queued by then (and the tasks they queue)
    /// still run before it returns. Final: a reactor runs once.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        if !ownership.isCurrent { wakeUp.signal() }
    }

    var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    // MARK: The loop thread

    /// Runs the loop on the calling thread until `stop`. One thread at a time.
    public func run() {
        precondition(ownership.claim(), "reactor \(name) is already running on another thread")
        defer { ownership.release() }
        loop.value.run(self)
    }

    /// Monotonic nanoseconds, read once per iteration right after `epoll_wait` (what handlers
    /// should use for deadlines instead of reading the clock per event). Meant for the loop
    /// thread; elsewhere it is merely a recent iteration's time (an atomic, so no race).
    public var now: UInt64 { iterationTime.load(ordering: .relaxed) }

    /// Called by the loop each time it reads the clock.
    func publishNow(_ now: UInt64) { iterationTime.store(now, ordering: .relaxed) }

    /// Watches `fd` for `events` (`Epoll` bits) and calls `handler` when it is ready. The handler
    /// is held strongly until `deregister`. Registering the same descriptor twice fails (EEXIST).
    public func register(fd: Int32, events: UInt32, handler: any ReactorHandler) throws(PlatformError) -> ReactorToken {
        try loop.value.register(fd: fd, events: events, handler: handler)
    }

    /// Changes the interest of a current registration (a stale token is ignored).
    public func modify(_ token: ReactorToken, events: UInt32) {
        loop.value.modify(token, events: events)
    }

    /// Stops watching and releases the handler; the descriptor is not closed. Events already
    /// returned by `epoll_wait` for this token are not delivered. A stale token is ignored.
    public func deregister(_ token: ReactorToken) {
        loop.value.deregister(token)
    }

    /// Tasks queued and not yet run: the loop's own and other threads' (for tests and
    /// diagnostics; takes the queue's lock).
    public var queuedTaskCount: Int { loop.value.localTasks.count + wakeUp.queuedCount }

    /// How many descriptors are registered (the reactor's own eventfd not counted).
    public var registrationCount: Int { loop.value.handlers.registeredCount }

    /// Heap entries (armed timers and scheduled tasks, stale ones included), for tests.
    var timerCount: Int { loop.value.timers.count }

    /// Calls the handler's `reactorTimerFired` once at or after `deadline` (monotonic ns), if
    /// the registration is still current then. Arms cannot be cancelled: stale or repeated arms
    /// are harmless, since the handler re-checks its own deadline when called.
    public func armTimer(_ token: ReactorToken, at deadline: UInt64) {
        loop.value.timers.arm(token, at: deadline)
    }

    /// Runs `task` on the loop at or after `deadline` (monotonic ns), unless cancelled first.
    @discardableResult
    public func schedule(at deadline: UInt64, _ task: @escaping () -> Void) -> ReactorTimerID {
        loop.value.timers.schedule(at: deadline, task)
    }

    /// Cancels a scheduled task that has not run yet (its closure is released at once); an ID
    /// of a task that ran or was cancelled is ignored.
    public func cancel(_ id: ReactorTimerID) {
        loop.value.timers.cancel(id)
    }

    /// Told once per iteration how many events were ready (see `ReactorIterationObserver`).
    public var iterationObserver: (any ReactorIterationObserver)? {
        get { loop.value.observer }
        set { loop.value.observer = newValue }
    }
}
