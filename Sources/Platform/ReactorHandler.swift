/// Receives a registered descriptor's readiness and its timer (see `Reactor.register` and
/// `Reactor.armTimer`). Called on the reactor's thread only; must not block.
public protocol ReactorHandler: AnyObject {
    /// `events`: the ready `Epoll` bits (error and hang-up included).
    func reactorEvents(_ events: UInt32, _ reactor: Reactor)
    /// A timer armed with `Reactor.armTimer` came due. Arms are not cancelled, so this may come
    /// for a deadline the handler has since moved: it re-checks its own deadline.
    func reactorTimerFired(_ reactor: Reactor)
}

extension ReactorIterationObserver {
    /// Observers that only look at batches need not implement it.
    public func reactorDidWake(now: UInt64, _ reactor: Reactor) {}
}

extension ReactorHandler {
    /// Handlers that never arm a timer need not implement it.
    public func reactorTimerFired(_ reactor: Reactor) {}
}

/// Sees every iteration of a reactor: as it wakes, before its ready events are handled (e.g. to
/// keep the iteration's time where handlers read it without a call), and after they were
/// handled, before its tasks and timers run (e.g. to yield the core after a busy batch).
public protocol ReactorIterationObserver: AnyObject {
    /// The loop woke and read the clock: `now` is what `Reactor.now` returns until the next
    /// iteration.
    func reactorDidWake(now: UInt64, _ reactor: Reactor)
    /// `readyEvents`: what `epoll_wait` returned (the reactor's own wake-up included); `now`:
    /// the iteration's monotonic time.
    func reactorDidDispatch(readyEvents: Int, now: UInt64, _ reactor: Reactor)
}

/// Names one registration of a descriptor: the serial number of the registration in the high
/// 32 bits, the descriptor in the low 32. A descriptor number reused after a close gets a new
/// serial, so an event or timer meant for the old registration never reaches the new handler.
public struct ReactorToken: Hashable, Sendable {
    public let raw: UInt64

    init(fd: Int32, serial: UInt32) {
        raw = UInt64(serial) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    init(raw: UInt64) { self.raw = raw }

    public var fd: Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: raw)) }
    var serial: UInt32 { UInt32(truncatingIfNeeded: raw >> 32) }
}

/// Names one task scheduled with `Reactor.schedule`, for `Reactor.cancel`.
public struct ReactorTimerID: Hashable, Sendable {
    let raw: UInt64
}
