import Platform

/// The event loop that owns a streamed response or WebSocket connection.
///
/// Code running on it (`StreamingBody.start`, WebSocket `onOpen`/`onMessage`, tasks given to
/// `execute`, timers) may write to the stream or session directly: the bytes go straight into
/// the connection's output buffer and are flushed at the end of the loop's turn.
public protocol ConnectionLoop: AnyObject, Sendable {
    /// Runs `task` on the loop thread, soon. Safe from any thread.
    func execute(_ task: @escaping @Sendable () -> Void)
    /// Whether the caller runs on this loop's thread.
    var inLoopThread: Bool { get }
    /// Runs `task` on the loop thread once `delay` has passed (a timer of the loop).
    @discardableResult
    func schedule(after delay: Duration, _ task: @escaping @Sendable () -> Void) -> ConnectionLoopTimer
}

/// A timer scheduled on a `ConnectionLoop`.
public struct ConnectionLoopTimer: Sendable {
    /// How the loop finds the timer: the reactor's own ID when it was scheduled on the loop
    /// thread, or the number of a hand-over from another thread.
    enum Handle: Sendable {
        case local(ReactorTimerID)
        case remote(UInt64)
    }

    /// The server's own loops cancel through their reactor; another `ConnectionLoop` (a test's,
    /// say) through the closure it gave.
    private enum Cancellation: Sendable {
        case eventLoop(EventLoop, Handle)
        case closure(@Sendable () -> Void)
    }

    private let cancellation: Cancellation

    init(loop: EventLoop, handle: Handle) {
        cancellation = .eventLoop(loop, handle)
    }

    /// A timer of another `ConnectionLoop`: `cancel` runs `cancellation`.
    public init(cancellation: @escaping @Sendable () -> Void) {
        self.cancellation = .closure(cancellation)
    }

    /// Cancels the timer if it has not fired. Meant for the loop thread (where it takes effect at
    /// once); from another thread it is handed to the loop, so a timer due meanwhile may still fire.
    public func cancel() {
        switch cancellation {
        case .eventLoop(let loop, let handle): loop.cancelTimer(handle)
        case .closure(let cancel): cancel()
        }
    }
}
