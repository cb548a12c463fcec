/// The outbound half that a streamed body and a WebSocket session share: chunks queued by other
/// threads within a byte bound, the socket backlog the loop publishes after each write, the flag
/// that coalesces loop wake-ups (one wake per batch, however many producers write), and the flag
/// that asks for one end-of-turn flush when the loop thread itself writes.
///
/// A plain value kept inside its owner's lock (the owner adds its own end-of-stream state next
/// to it), so sharing it costs no allocation and no indirection on the write path.
struct ConnectionOutboundQueue {
    private var chunks: [[UInt8]] = []
    private var queuedBytes = 0
    private var socketBacklog = 0
    private var wakeScheduled = false
    private var endOfTurnClaimed = false

    /// Another thread queues `bytes` unless that would pass `bound`. `wake`: the caller must wake
    /// the loop (outside its lock); false when a wake-up is already on its way.
    mutating func enqueue(_ bytes: [UInt8], bound: Int) -> (result: StreamWriteResult, wake: Bool) {
        guard Self.admits(bytes.count, backlog: queuedBytes &+ socketBacklog, bound: bound) else { return (.overflow, false) }
        chunks.append(bytes)
        queuedBytes &+= bytes.count
        return (.queued, scheduleWake())
    }

    /// The loop thread writes `count` bytes straight into the connection, whose outbound buffer
    /// holds `pending` bytes the socket has not taken. Admitted within the same bound as
    /// `enqueue`; `earlier` are the chunks other threads queued before (to be written first, so
    /// the order of writes holds across threads).
    mutating func admitOnLoop(_ count: Int, pending: Int, bound: Int) -> (result: StreamWriteResult, earlier: [[UInt8]]) {
        guard Self.admits(count, backlog: queuedBytes &+ pending, bound: bound) else { return (.overflow, []) }
        guard !chunks.isEmpty else { return (.queued, []) }
        // The wake-up already on its way (if any) finds nothing left to take, which is harmless.
        defer { discard() }
        return (.queued, chunks)
    }

    /// A chunk larger than the whole bound still goes out when nothing else is waiting.
    private static func admits(_ count: Int, backlog: Int, bound: Int) -> Bool {
        backlog == 0 || backlog &+ count <= bound
    }

    /// Whether the caller must wake the loop: only the first request since the last batch does.
    mutating func scheduleWake() -> Bool {
        guard !wakeScheduled else { return false }
        wakeScheduled = true
        return true
    }

    /// Whether the loop thread, having written, must ask for an end-of-turn flush: only the first
    /// write since the loop last took this connection's output does.
    mutating func claimEndOfTurn() -> Bool {
        guard !endOfTurnClaimed else { return false }
        endOfTurnClaimed = true
        return true
    }

    /// Loop side: everything queued since the last batch; the next write wakes the loop (or asks
    /// for a flush) again.
    mutating func takeChunks() -> [[UInt8]] {
        wakeScheduled = false
        endOfTurnClaimed = false
        defer { discard() }
        return chunks
    }

    /// The loop reports how many bytes the socket has not taken yet.
    mutating func publishBacklog(_ bytes: Int) { socketBacklog = bytes }

    /// Drops what is queued (the stream or session ended).
    mutating func discard() {
        chunks.removeAll()
        queuedBytes = 0
    }
}
