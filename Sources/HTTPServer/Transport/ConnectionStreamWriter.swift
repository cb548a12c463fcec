import VisibleLocks
/// The `ResponseStreamWriter` handed to a streamed body's producer. On the loop thread a write
/// is framed straight into the connection's outbound buffer and the connection is flushed at
/// the end of the turn. Other threads' chunks are queued under the lock and the loop is woken
/// once per batch (a flag coalesces wake-ups); the loop frames and writes them. The bound covers
/// everything not yet taken by the socket: the queued chunks plus the connection's backlog
/// (read directly on the loop, published by the loop after each turn for other threads).
///
/// The lock stays on the loop's path too: other threads may write, finish or read `isOpen`
/// at any time, and the end of the stream is decided under it.
final class ConnectionStreamWriter: ResponseStreamWriter {
    private struct State {
        var outbound = ConnectionOutboundQueue()
        var finishing = false
        var finalBytes: [UInt8]?
        var endReason: StreamCloseReason?
        var shutdownSignalled = false
        var closeHandlers: [@Sendable (StreamCloseReason) -> Void] = []
        var shutdownHandlers: [@Sendable () -> Void] = []
    }

    /// What the loop takes on each wake-up.
    struct Batch {
        var chunks: [[UInt8]]
        var finish: Bool
        var finalBytes: [UInt8]?
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

    // MARK: ResponseStreamWriter

    var loop: any ConnectionLoop { eventLoop }

    @discardableResult
    func write(_ bytes: [UInt8]) -> StreamWriteResult {
        if let runtime = eventLoop.runtimeIfInLoop { return writeOnLoop(bytes, runtime) }
        let (result, wake) = state.withLock { state -> (StreamWriteResult, Bool) in
            guard state.endReason == nil, !state.finishing else { return (.closed, false) }
            guard !bytes.isEmpty else { return (.queued, false) }
            return state.outbound.enqueue(bytes, bound: bound)
        }
        if wake { wakeLoop() }
        return result
    }

    func finish(final: [UInt8]?) {
        let runtime = eventLoop.runtimeIfInLoop
        let notify = state.withLock { state -> Bool in
            guard state.endReason == nil, !state.finishing else { return false }
            state.finishing = true
            state.finalBytes = final
            // On the loop the end completes at the end of the turn (never inside this call, so
            // no close handler runs inside the producer's code).
            return runtime == nil ? state.outbound.scheduleWake() : state.outbound.claimEndOfTurn()
        }
        guard notify else { return }
        if let runtime { runtime.flushAtEndOfTurn(connectionToken) } else { wakeLoop() }
    }

    func onClose(_ handler: @escaping @Sendable (StreamCloseReason) -> Void) {
        let endedWith = state.withLock { state -> StreamCloseReason? in
            if let reason = state.endReason { return reason }
            state.closeHandlers.append(handler)
            return nil
        }
        if let endedWith { handler(endedWith) }
    }

    func onShutdown(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            guard state.endReason == nil else { return false }
            if state.shutdownSignalled { return true }
            state.shutdownHandlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    var isOpen: Bool {
        state.withLock { $0.endReason == nil && !$0.finishing }
    }

    // MARK: loop side

    /// A write on the loop thread: into the connection's buffer at once, after anything other
    /// threads queued before it.
    private func writeOnLoop(_ bytes: [UInt8], _ runtime: LoopRuntime) -> StreamWriteResult {
        // nil while the connection closes (its stream already detached, `streamEnded` about to
        // run): the bytes are dropped as queued ones would be.
        let connection = runtime.connection(for: connectionToken).flatMap { $0.stream === self ? $0 : nil }
        let writable = connection != nil
        let pending = connection?.pendingOutputBytes ?? 0
        let (result, earlier, flush) = state.withLock { state -> (StreamWriteResult, [[UInt8]], Bool) in
            guard state.endReason == nil, !state.finishing else { return (.closed, [], false) }
            guard !bytes.isEmpty, writable else { return (.queued, [], false) }
            let (result, earlier) = state.outbound.admitOnLoop(bytes.count, pending: pending, bound: bound)
            guard result == .queued else { return (result, [], false) }
            return (.queued, earlier, state.outbound.claimEndOfTurn())
        }
        guard result == .queued, let connection, !bytes.isEmpty else { return result }
        for chunk in earlier { connection.appendStreamBytes(chunk) }
        connection.appendStreamBytes(bytes)
        if flush { runtime.flushAtEndOfTurn(connectionToken) }
        return .queued
    }

    private func wakeLoop() {
        let token = connectionToken
        eventLoop.execute { runtime in runtime.connection(for: token)?.streamHasOutput() }
    }

    /// Everything queued since the last call (loop thread).
    func takeBatch() -> Batch {
        state.withLock { state in
            let batch = Batch(chunks: state.outbound.takeChunks(), finish: state.finishing, finalBytes: state.finalBytes)
            state.finalBytes = nil
            return batch
        }
    }

    /// The loop reports how many bytes the socket has not taken yet.
    func publishBacklog(_ bytes: Int) {
        state.withLock { $0.outbound.publishBacklog(bytes) }
    }

    /// The server began draining: run the shutdown handlers once (outside the lock).
    func signalShutdown() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.shutdownSignalled else { return [] }
            state.shutdownSignalled = true
            defer { state.shutdownHandlers.removeAll() }
            return state.endReason == nil ? state.shutdownHandlers : []
        }
        for handler in handlers { handler() }
    }

    /// The stream is over: later writes report `.closed`; close handlers run once.
    func streamEnded(_ reason: StreamCloseReason) {
        let handlers = state.withLock { state -> [@Sendable (StreamCloseReason) -> Void] in
            guard state.endReason == nil else { return [] }
            state.endReason = reason
            state.outbound.discard()
            state.shutdownHandlers.removeAll()
            defer { state.closeHandlers.removeAll() }
            return state.closeHandlers
        }
        for handler in handlers { handler(reason) }
    }
}
