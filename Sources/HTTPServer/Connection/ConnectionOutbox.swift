import Synchronization
import VisibleLocks

/// The one outbound channel from an application to a connection that streams a body or speaks
/// WebSocket: `ConnectionStreamWriter` and `ConnectionWebSocketSession` are thin faces of it.
///
/// Two paths, one order and one bound:
/// - On the connection's loop thread, bytes go straight into the connection's output buffer
///   (`HTTPConnection.outboxWrite`): no lock, no wake-up; the loop flushes them at the end of
///   its turn.
/// - From any other thread, bytes are queued here under a lock and the loop is woken once per
///   batch (`pending` coalesces wake-ups); the loop takes the batch in `finishTurn`.
/// An end (finish, close) is always recorded here and applied by the loop at the end of the turn,
/// never inside the caller's call, so no application callback runs re-entrantly. The bound
/// covers everything queued: bytes here plus bytes the socket has not taken yet (data and
/// control frames alike), published by the loop after each turn.
final class ConnectionOutbox: Sendable {
    /// How the application ends the exchange.
    enum EndRequest: Sendable {
        /// A stream's producer finished; `final` is queued ignoring the bound.
        case finish(final: [UInt8]?)
        /// A WebSocket close handshake starts with this code and reason.
        case close(code: UInt16, reason: String)
    }

    /// What the loop takes: bytes in the order they were queued, then the end if one was asked.
    struct Batch {
        var chunks: [[UInt8]]
        var end: EndRequest?
    }

    private struct Queue {
        var chunks: [[UInt8]] = []
        var queuedBytes = 0
        /// The end asked for, until the loop takes it.
        var end: EndRequest?
        /// An end was asked for: later writes are refused.
        var ending = false
        /// The connection is done with this outbox.
        var ended = false
        /// Runs on the loop once the socket has taken everything queued (`whenDrained`).
        var drainWaiter: (@Sendable () -> Void)?
    }

    let loop: EventLoop
    /// The connection's token (see `HTTPConnection.token`): a stale outbox never reaches a
    /// connection that reused the descriptor.
    let token: UInt64
    let bound: Int
    private let queue = VisibleMutex(Queue())
    /// Set by the first item queued since the loop last took a batch (whoever sets it wakes the
    /// loop); cleared by the loop as it takes the batch.
    private let pending = Atomic<Bool>(false)
    /// Bytes the socket has not taken yet, published by the loop after each turn.
    private let socketBacklog = Atomic<Int>(0)
    /// A `whenDrained` handler waits (checked by the loop after each turn without the lock).
    private let drainWaited = Atomic<Bool>(false)

    init(loop: EventLoop, token: UInt64, bound: Int) {
        self.loop = loop
        self.token = token
        self.bound = max(1, bound)
    }

    // MARK: the application's side (any thread)

    /// Queues `bytes` (already encoded: a body chunk, a WebSocket frame).
    func enqueue(_ bytes: [UInt8]) -> StreamWriteResult {
        if let runtime = loop.runtimeOnLoopThread {
            return runtime.connection(for: token)?.outboxWrite(bytes, from: self) ?? .closed
        }
        let (result, wake) = queue.withLock { queue -> (StreamWriteResult, Bool) in
            guard !queue.ended, !queue.ending else { return (.closed, false) }
            guard !bytes.isEmpty else { return (.queued, false) }
            let backlog = queue.queuedBytes &+ socketBacklog.load(ordering: .relaxed)
            // A chunk larger than the whole bound still goes out when nothing else is waiting.
            guard backlog == 0 || backlog &+ bytes.count <= bound else { return (.overflow, false) }
            queue.chunks.append(bytes)
            queue.queuedBytes &+= bytes.count
            return (.queued, !pending.exchange(true, ordering: .acquiringAndReleasing))
        }
        if wake { wakeLoop() }
        return result
    }

    /// Asks for the end (idempotent: the first request counts).
    func requestEnd(_ end: EndRequest) {
        let wake = queue.withLock { queue -> Bool in
            guard !queue.ended, !queue.ending else { return false }
            queue.ending = true
            queue.end = end
            return !pending.exchange(true, ordering: .acquiringAndReleasing)
        }
        if let runtime = loop.runtimeOnLoopThread {
            // On the loop: applied at the end of this turn, with no wake-up.
            if let connection = runtime.connection(for: token) { runtime.flushAtEndOfTurn(connection) }
        } else if wake {
            wakeLoop()
        }
    }

    /// Neither ended nor asked to end.
    var isOpen: Bool { queue.withLock { !$0.ended && !$0.ending } }

    /// Bytes queued and not yet taken by the socket: exact on the loop thread, the last
    /// published figure elsewhere.
    var backlog: Int {
        // Nothing queued from other threads since the loop last took a batch (the usual case
        // for a stream written on its loop): no lock.
        let queued = hasPending ? queue.withLock { $0.queuedBytes } : 0
        if let runtime = loop.runtimeOnLoopThread, let connection = runtime.connection(for: token) {
            return queued &+ connection.io.pendingOutputBytes
        }
        return queued &+ socketBacklog.load(ordering: .relaxed)
    }

    /// Runs `handler` once, on the loop, after the socket has taken everything queued (at the
    /// end of a turn that finds nothing left to write); replaces a handler already waiting.
    /// Never runs once the outbox has ended. What a producer waits on instead of writing past
    /// the bound (a replay written batch by batch as the client reads it).
    func whenDrained(_ handler: @escaping @Sendable () -> Void) {
        let accepted = queue.withLock { queue -> Bool in
            guard !queue.ended else { return false }
            queue.drainWaiter = handler
            drainWaited.store(true, ordering: .releasing)
            return true
        }
        guard accepted else { return }
        // The check runs at the end of the connection's next turn: make sure there is one.
        if let runtime = loop.runtimeOnLoopThread {
            if let connection = runtime.connection(for: token) { runtime.flushAtEndOfTurn(connection) }
        } else {
            wakeLoop()
        }
    }

    private func wakeLoop() {
        let token = self.token
        loop.execute { runtime in runtime.connection(for: token)?.finishTurn() }
    }

    // MARK: the loop's side

    /// Items wait for the loop (cheap: one atomic load).
    var hasPending: Bool { pending.load(ordering: .acquiring) }

    /// Everything queued since the last batch; the next item queued wakes the loop again.
    func takeBatch() -> Batch {
        queue.withLock { queue in
            pending.store(false, ordering: .releasing)
            defer {
                queue.chunks = []
                queue.queuedBytes = 0
                queue.end = nil
            }
            return Batch(chunks: queue.chunks, end: queue.end)
        }
    }

    /// The bytes queued from other threads, for a loop-thread write that must come after them;
    /// nil once an end was asked for (the write is refused).
    func takeChunksBeforeWrite() -> [[UInt8]]? {
        queue.withLock { queue in
            guard !queue.ended, !queue.ending else { return nil }
            pending.store(false, ordering: .releasing)
            defer {
                queue.chunks = []
                queue.queuedBytes = 0
            }
            return queue.chunks
        }
    }

    /// The loop reports how many bytes the socket has not taken yet; with none left, a
    /// `whenDrained` handler is handed back to run (as a loop task, never inside the turn).
    func publishBacklog(_ bytes: Int) -> (@Sendable () -> Void)? {
        socketBacklog.store(bytes, ordering: .relaxed)
        guard bytes == 0, drainWaited.load(ordering: .acquiring) else { return nil }
        return queue.withLock { queue in
            guard queue.queuedBytes == 0 else { return nil }
            drainWaited.store(false, ordering: .releasing)
            defer { queue.drainWaiter = nil }
            return queue.drainWaiter
        }
    }

    /// The connection is done with this outbox: later writes report `.closed`. Returns whether
    /// this call ended it (false: it had ended before).
    @discardableResult
    func end() -> Bool {
        queue.withLock { queue in
            guard !queue.ended else { return false }
            queue.ended = true
            pending.store(false, ordering: .releasing)
            drainWaited.store(false, ordering: .releasing)
            queue.drainWaiter = nil
            queue.chunks = []
            queue.queuedBytes = 0
            queue.end = nil
            return true
        }
    }
}
