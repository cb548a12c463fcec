import VisibleLocks

/// The `ResponseStreamWriter` handed to a streamed body's producer: a face of the connection's
/// `ConnectionOutbox` (which carries the bytes, on the loop thread straight into the socket's
/// buffer) plus the producer's close and shutdown handlers.
final class ConnectionStreamWriter: ResponseStreamWriter {
    private struct Handlers {
        var endReason: StreamCloseReason?
        var shutdownSignalled = false
        var onClose: [@Sendable (StreamCloseReason) -> Void] = []
        var onShutdown: [@Sendable () -> Void] = []
    }

    let outbox: ConnectionOutbox
    private let handlers = VisibleMutex(Handlers())

    init(outbox: ConnectionOutbox) { self.outbox = outbox }

    // MARK: ResponseStreamWriter

    /// The loop that owns the connection: writes made on it go straight into the connection's buffer.
    var loop: any ConnectionLoop { outbox.loop }

    @discardableResult
    func write(_ bytes: [UInt8]) -> StreamWriteResult { outbox.enqueue(bytes) }

    func finish(final: [UInt8]?) { outbox.requestEnd(.finish(final: final)) }

    func onClose(_ handler: @escaping @Sendable (StreamCloseReason) -> Void) {
        let endedWith = handlers.withLock { handlers -> StreamCloseReason? in
            if let reason = handlers.endReason { return reason }
            handlers.onClose.append(handler)
            return nil
        }
        if let endedWith { handler(endedWith) }
    }

    func onShutdown(_ handler: @escaping @Sendable () -> Void) {
        let runNow = handlers.withLock { handlers -> Bool in
            guard handlers.endReason == nil else { return false }
            if handlers.shutdownSignalled { return true }
            handlers.onShutdown.append(handler)
            return false
        }
        if runNow { handler() }
    }

    var isOpen: Bool { outbox.isOpen }

    var outboundBacklog: Int { outbox.backlog }

    var outboundBound: Int { outbox.bound }

    func whenDrained(_ handler: @escaping @Sendable () -> Void) { outbox.whenDrained(handler) }

    // MARK: the loop's side

    /// The server began draining: run the shutdown handlers once (outside the lock).
    func signalShutdown() {
        let run = handlers.withLock { handlers -> [@Sendable () -> Void] in
            guard !handlers.shutdownSignalled else { return [] }
            handlers.shutdownSignalled = true
            defer { handlers.onShutdown.removeAll() }
            return handlers.endReason == nil ? handlers.onShutdown : []
        }
        for handler in run { handler() }
    }

    /// The stream is over: later writes report `.closed`; close handlers run once.
    func streamEnded(_ reason: StreamCloseReason) {
        outbox.end()
        let run = handlers.withLock { handlers -> [@Sendable (StreamCloseReason) -> Void] in
            guard handlers.endReason == nil else { return [] }
            handlers.endReason = reason
            handlers.onShutdown.removeAll()
            defer { handlers.onClose.removeAll() }
            return handlers.onClose
        }
        for handler in run { handler(reason) }
    }
}
