import VisibleLocks
/// The `WebSocketSession` handed to the application. Frames are encoded by the caller. On the
/// loop thread they go straight into the connection's outbound buffer (flushed at the end of the
/// turn); other threads' frames are queued under the lock and written by the loop after one
/// coalesced wake-up. The same outbound bound applies to both. `close` asks the loop to start
/// the close handshake (at the end of the turn when asked on the loop).
final class ConnectionWebSocketSession: WebSocketSession {
    private struct State {
        var outbound = ConnectionOutboundQueue()
        var closeRequest: (code: UInt16, reason: String)?
        var ended = false
    }

    struct Batch {
        var frames: [[UInt8]]
        var closeRequest: (code: UInt16, reason: String)?
    }

    private let eventLoop: EventLoop
    private let connectionToken: UInt64
    private let bound: Int
    private let state = VisibleMutex(State())

    init(loop: EventLoop, connectionToken: UInt64, bound: Int) {
        self.eventLoop = loop
        self.connectionToken = connectionToken
        self.bound = max(1, bound)
    }

    var loop: any ConnectionLoop { eventLoop }

    @discardableResult
    func send(text: String) -> StreamWriteResult {
        enqueue(WebSocketFrameCodec.encode(opcode: .text, payload: text.utf8))
    }

    @discardableResult
    func send(binary: [UInt8]) -> StreamWriteResult {
        enqueue(WebSocketFrameCodec.encode(opcode: .binary, payload: binary))
    }

    func close(code: UInt16, reason: String) {
        let runtime = eventLoop.runtimeIfInLoop
        let notify = state.withLock { state -> Bool in
            guard !state.ended, state.closeRequest == nil else { return false }
            state.closeRequest = (code, reason)
            return runtime == nil ? state.outbound.scheduleWake() : state.outbound.claimEndOfTurn()
        }
        guard notify else { return }
        if let runtime { runtime.flushAtEndOfTurn(connectionToken) } else { wakeLoop() }
    }

    var isOpen: Bool { state.withLock { !$0.ended && $0.closeRequest == nil } }

    private func enqueue(_ frame: [UInt8]) -> StreamWriteResult {
        if let runtime = eventLoop.runtimeIfInLoop { return sendOnLoop(frame, runtime) }
        let (result, wake) = state.withLock { state -> (StreamWriteResult, Bool) in
            guard !state.ended, state.closeRequest == nil else { return (.closed, false) }
            return state.outbound.enqueue(frame, bound: bound)
        }
        if wake { wakeLoop() }
        return result
    }

    /// A frame sent on the loop thread: into the connection's buffer at once, after the frames
    /// other threads queued before it.
    private func sendOnLoop(_ frame: [UInt8], _ runtime: LoopRuntime) -> StreamWriteResult {
        // nil while the connection closes (`markEnded` about to run): dropped like queued frames.
        let connection = runtime.connection(for: connectionToken).flatMap { $0.webSocket?.session === self ? $0 : nil }
        let writable = connection != nil
        let pending = connection?.pendingOutputBytes ?? 0
        let (result, earlier, flush) = state.withLock { state -> (StreamWriteResult, [[UInt8]], Bool) in
            guard !state.ended, state.closeRequest == nil else { return (.closed, [], false) }
            guard writable else { return (.queued, [], false) }
            let (result, earlier) = state.outbound.admitOnLoop(frame.count, pending: pending, bound: bound)
            guard result == .queued else { return (result, [], false) }
            return (.queued, earlier, state.outbound.claimEndOfTurn())
        }
        guard result == .queued, let connection else { return result }
        for earlierFrame in earlier { connection.appendWebSocketFrame(earlierFrame) }
        connection.appendWebSocketFrame(frame)
        if flush { runtime.flushAtEndOfTurn(connectionToken) }
        return .queued
    }

    private func wakeLoop() {
        let token = connectionToken
        eventLoop.execute { runtime in runtime.connection(for: token)?.webSocketHasOutput() }
    }

    // MARK: loop side

    func takeBatch() -> Batch {
        state.withLock { state in
            Batch(frames: state.outbound.takeChunks(), closeRequest: state.closeRequest)
        }
    }

    func publishBacklog(_ bytes: Int) { state.withLock { $0.outbound.publishBacklog(bytes) } }

    /// The server initiates the close (drain): same as the application calling `close`.
    func requestClose(code: UInt16, reason: String) { close(code: code, reason: reason) }

    func markEnded() {
        state.withLock { state in
            state.ended = true
            state.outbound.discard()
        }
    }
}

/// A connection's WebSocket state after the 101: the protocol machine, the session and the
/// application's callbacks. Loop thread only.
final class WebSocketChannel {
    var machine: WebSocketServerProtocol
    let session: ConnectionWebSocketSession
    let upgrade: WebSocketUpgrade
    /// When our close frame went out (.max: not yet): the peer has `lingerOnClose` to answer.
    var closeSentAt: UInt64 = .max
    /// The close code received or sent, reported to `onClose`.
    var closeCode: UInt16?
    var closeReported = false
    /// Keep-alive (`upgrade.keepAliveInterval`): when the peer last sent anything, and when our
    /// unanswered ping went out (.max: none outstanding).
    var lastHeardAt: UInt64
    var pingSentAt: UInt64 = .max
    let keepAliveNanoseconds: UInt64?

    init(machine: WebSocketServerProtocol, session: ConnectionWebSocketSession, upgrade: WebSocketUpgrade, now: UInt64) {
        self.machine = machine
        self.session = session
        self.upgrade = upgrade
        self.lastHeardAt = now
        self.keepAliveNanoseconds = upgrade.keepAliveInterval?.saturatingNanoseconds
    }

    /// The next keep-alive deadline: a ping due, or the answer to one overdue.
    var keepAliveDeadline: (pingDue: Bool, at: UInt64)? {
        guard let interval = keepAliveNanoseconds else { return nil }
        return pingSentAt == .max ? (true, lastHeardAt &+ interval) : (false, pingSentAt &+ interval)
    }
}
