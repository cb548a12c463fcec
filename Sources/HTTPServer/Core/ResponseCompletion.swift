import VisibleLocks

/// Completes one deferred response (see `DeferredResponse`). Sendable: keep it, hand it to
/// another thread, call `complete` from there.
///
/// - `complete` counts once: the first call (while the request is still awaited) sends its
///   response exactly as if `respond` had returned it; every later call, and any call after the
///   request was cancelled, is ignored (a streamed or WebSocket body in an ignored response is
///   told, on the loop, as refused: `notStarted` / `onRefused`).
/// - The request is cancelled when its connection closes (the client left, the drain deadline
///   passed, the server stopped) or when the server answered 503 itself after
///   `deferredResponseTimeout`. Then `isCancelled` turns true and the `onCancel` handlers run
///   once, on the loop: the work behind the answer may stop.
///
/// It names its connection by token and never holds it, so a completion kept after the
/// connection closed retains nothing of it.
public final class ResponseCompletion: Sendable {
    private enum Phase {
        /// `start` is running on the loop: a response given now is taken as it returns.
        case starting
        /// Awaited: a response given now wakes the loop.
        case waiting
        /// Given, not yet taken by the loop.
        case completed(HTTPResponse)
        /// Taken by the loop (it is sent, or the loop answered for it).
        case delivered
        case cancelled
    }

    private struct State {
        var phase = Phase.starting
        var cancelHandlers: [@Sendable () -> Void] = []
        /// `DeferredResponse.map`'s transforms, outermost first (added as the starts unwrap).
        var transforms: [@Sendable (HTTPResponse) -> HTTPResponse] = []
    }

    private enum Step {
        case none, wakeLoop, ignored
    }

    let eventLoop: EventLoop
    /// The connection's token (see `HTTPConnection.token`): a completion never reaches a
    /// connection that reused the descriptor.
    let token: UInt64
    private let state = VisibleMutex(State())

    init(loop: EventLoop, token: UInt64) {
        eventLoop = loop
        self.token = token
    }

    // MARK: the application's side (any thread)

    /// The connection's loop (for timers: `loop.schedule(after:)`). Completing from it saves a
    /// wake-up.
    public var loop: any ConnectionLoop { eventLoop }

    /// Sends `response` as the answer: the first call only, and only while the request is
    /// awaited. From the loop thread it is sent at the end of the current turn (at once when
    /// `start` completes inline); from another thread the loop is woken for it. A deferred body
    /// inside it is refused (500).
    public func complete(_ response: HTTPResponse) {
        let step = state.withLock { state -> Step in
            switch state.phase {
            case .starting:
                state.phase = .completed(response)
                state.cancelHandlers = []
                return .none
            case .waiting:
                state.phase = .completed(response)
                state.cancelHandlers = []
                return .wakeLoop
            case .completed, .delivered, .cancelled:
                return .ignored
            }
        }
        switch step {
        case .none: break
        case .wakeLoop: wakeLoop()
        case .ignored: ResponseCompletion.refuse(response.body, on: eventLoop)
        }
    }

    /// The request was cancelled (see the type's comment): a completion now is ignored.
    public var isCancelled: Bool {
        state.withLock { state in
            if case .cancelled = state.phase { return true }
            return false
        }
    }

    /// Runs `handler` once, on the loop, if the request is cancelled (at once, on the calling
    /// thread, if it already was). Dropped unrun once a response was given.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            switch state.phase {
            case .starting, .waiting:
                state.cancelHandlers.append(handler)
                return false
            case .cancelled:
                return true
            case .completed, .delivered:
                return false
            }
        }
        if runNow { handler() }
    }

    private func wakeLoop() {
        let token = self.token
        if let runtime = eventLoop.runtimeOnLoopThread {
            // On the loop (a timer, another connection's turn): sent at the end of this turn, so
            // no application callback runs inside the caller's call.
            if let connection = runtime.connection(for: token) { runtime.flushAtEndOfTurn(connection) }
        } else {
            eventLoop.execute { runtime in runtime.connection(for: token)?.finishTurn() }
        }
    }

    /// A body that will never be sent learns it on its loop, as it would from the server.
    private static func refuse(_ body: ResponseBody, on loop: EventLoop) {
        let refusal: @Sendable () -> Void
        switch body {
        case .stream(let producer): refusal = producer.notStarted
        case .webSocket(let upgrade): refusal = upgrade.onRefused
        case .empty, .bytes, .deferred: return
        }
        if loop.inLoopThread { refusal() } else { loop.execute(refusal) }
    }

    // MARK: the loop's side

    /// A transform of what is sent (`DeferredResponse.map`); called as `start` unwraps.
    func addTransform(_ transform: @escaping @Sendable (HTTPResponse) -> HTTPResponse) {
        state.withLock { $0.transforms.append(transform) }
    }

    /// `response` through the transforms, innermost first; run once, just before it is sent.
    func transformed(_ response: HTTPResponse) -> HTTPResponse {
        let transforms = state.withLock { state in
            defer { state.transforms = [] }
            return state.transforms
        }
        return transforms.reversed().reduce(response) { response, transform in transform(response) }
    }

    /// `start` returned: the response it gave inline, if any (taken); else the request is
    /// awaited from now on.
    func startReturned() -> HTTPResponse? {
        state.withLock { state -> HTTPResponse? in
            switch state.phase {
            case .starting:
                state.phase = .waiting
                return nil
            case .completed(let response):
                state.phase = .delivered
                return response
            case .waiting, .delivered, .cancelled:
                return nil
            }
        }
    }

    /// The response given from elsewhere, if one waits (taken).
    func takeResponse() -> HTTPResponse? {
        state.withLock { state -> HTTPResponse? in
            guard case .completed(let response) = state.phase else { return nil }
            state.phase = .delivered
            return response
        }
    }

    /// The loop gives up on the response (the connection closed, or the safety deadline
    /// passed): a response already given but not yet taken is handed back (the caller sends it
    /// or refuses its body); otherwise the request is cancelled and the cancel handlers run.
    func takeResponseOrCancel() -> HTTPResponse? {
        enum Outcome {
            case response(HTTPResponse)
            case cancelled([@Sendable () -> Void])
            case none
        }
        let outcome = state.withLock { state -> Outcome in
            switch state.phase {
            case .completed(let response):
                state.phase = .delivered
                return .response(response)
            case .starting, .waiting:
                state.phase = .cancelled
                defer { state.cancelHandlers = [] }
                return .cancelled(state.cancelHandlers)
            case .delivered, .cancelled:
                return .none
            }
        }
        switch outcome {
        case .response(let response):
            return response
        case .cancelled(let handlers):
            for handler in handlers { handler() }
            return nil
        case .none:
            return nil
        }
    }
}
