/// The outbound half that a streamed body and a WebSocket session share: chunks queued by any
/// thread within a byte bound, the socket backlog the loop publishes after each write, and the
/// flag that coalesces loop wake-ups (one wake per batch, however many producers write).
///
/// A plain value kept inside its owner's lock (the owner adds its own end-of-stream state next
/// to it), so sharing it costs no allocation and no indirection on the write path.
struct ConnectionOutboundQueue {
    private var chunks: [[UInt8]] = []
    private var queuedBytes = 0
    private var socketBacklog = 0
    private var wakeScheduled = false

    /// Queues `bytes` unless that would pass `bound`. `wake`: the caller must wake the loop
    /// (outside its lock); false when a wake-up is already on its way.
    mutating func enqueue(_ bytes: [UInt8], bound: Int) -> (result: StreamWriteResult, wake: Bool) {
        let backlog = queuedBytes &+ socketBacklog
        // A chunk larger than the whole bound still goes out when nothing else is waiting.
        guard backlog == 0 || backlog &+ bytes.count <= bound else { return (.overflow, false) }
        chunks.append(bytes)
        queuedBytes &+= bytes.count
        return (.queued, scheduleWake())
    }

    /// Whether the caller must wake the loop: only the first request since the last batch does.
    mutating func scheduleWake() -> Bool {
        guard !wakeScheduled else { return false }
        wakeScheduled = true
        return true
    }

    /// Loop side: everything queued since the last batch; the next enqueue wakes the loop again.
    mutating func takeChunks() -> [[UInt8]] {
        wakeScheduled = false
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
