import VisibleLocks
/// The `ResponseStreamWriter` handed to a streamed body's producer. Producers call it from any
/// thread; it queues chunks under a lock and wakes the connection's loop once per batch (a
/// flag coalesces wake-ups), and the loop frames and writes them. The bound covers the queued
/// chunks plus what the socket has not taken yet (published by the loop after each write).
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

    private let loop: EventLoop
    private let connectionToken: UInt64
    private let bound: Int
    private let state = VisibleMutex(State())

    init(loop: EventLoop, connectionToken: UInt64, bound: Int) {
        self.loop = loop
        self.connectionToken = connectionToken
        self.bound = max(1, bound)
    }

    // MARK: ResponseStreamWriter

    @discardableResult
    func write(_ bytes: [UInt8]) -> StreamWriteResult {
        let (result, wake) = state.withLock { state -> (StreamWriteResult, Bool) in
            guard state.endReason == nil, !state.finishing else { return (.closed, false) }
            guard !bytes.isEmpty else { return (.queued, false) }
            return state.outbound.enqueue(bytes, bound: bound)
        }
        if wake { wakeLoop() }
        return result
    }

    func finish(final: [UInt8]?) {
        let wake = state.withLock { state -> Bool in
            guard state.endReason == nil, !state.finishing else { return false }
            state.finishing = true
            state.finalBytes = final
            return state.outbound.scheduleWake()
        }
        if wake { wakeLoop() }
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

    private func wakeLoop() {
        let token = connectionToken
        loop.execute { runtime in runtime.connection(for: token)?.streamHasOutput() }
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
