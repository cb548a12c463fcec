/// How many bytes an item is charged: its payload's size plus a fixed overhead for what keeping
/// it costs beyond the payload (object headers, dictionary slots, ids, timestamps, array
/// growth). Approximations, chosen to err high: what matters is that every kept item is bounded
/// and charged, and that its release gives back exactly what its charge took (callers keep the
/// charged figure with the item instead of measuring again).
public enum RetainedSize {
    /// A context's entry in the store (entry, listing key, shard slots) beside its JSON.
    public static let contextOverhead = 512
    /// A live run (its record, timers, index entry) beside its input.
    public static let liveRunOverhead = 512
    /// An ended run in history (snapshot strings, slot) beside its result.
    public static let endedRunOverhead = 384
    /// An event in the ring: the shared object and its draft's strings beside its JSON bytes.
    public static let eventOverhead = 256
    /// An event reference waiting in a subscriber's queue (the JSON itself is shared with the
    /// ring, but once the ring lets go the queue alone keeps it alive, so it is charged whole).
    public static let queuedEventOverhead = 64
    /// An idempotency entry (dictionary slot, key copy) beside key, fingerprint and answer.
    public static let idempotencyOverhead = 128

    /// The bytes `context` is charged: its ids and both JSON objects as serialized.
    public static func of(_ context: UserExecutionContext) -> Int {
        var bytes = contextOverhead + context.userID.utf8.count + context.threadID.utf8.count
            + context.runID.utf8.count + context.requestID.utf8.count
            + (context.websocketClientID?.utf8.count ?? 0) + (context.parentRequestID?.utf8.count ?? 0)
        bytes += JSONSizeMeter.size(of: .object(context.agentContext))
        bytes += JSONSizeMeter.size(of: .object(context.auditMetadata))
        return bytes
    }
}

extension RetainedSize {
    /// The bytes an event in the replay ring is charged: its encoded JSON plus overhead.
    public static func of(event: PublishedEvent) -> Int { event.envelope.json.count + eventOverhead }

    /// The bytes a live event waiting in a subscriber's queue is charged.
    public static func ofQueued(event: PublishedEvent) -> Int { event.envelope.json.count + queuedEventOverhead }
}
