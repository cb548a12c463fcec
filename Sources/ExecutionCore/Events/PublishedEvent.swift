/// A published event, shared by reference between a user's replay ring, the queues of its
/// subscribers and the batches they take: holding or handing it on costs one reference count,
/// however many fields the envelope has. Immutable.
public final class PublishedEvent: Sendable {
    public let envelope: EventEnvelope

    public init(_ envelope: EventEnvelope) { self.envelope = envelope }

    /// The per-user sequence id (`Last-Event-ID`).
    public var id: UInt64 { envelope.id }
    public var type: EventType { envelope.type }
    /// The serialized envelope, ready to write to a stream.
    public var json: [UInt8] { envelope.json }
    public var data: JSONValue { envelope.data }
    public var identity: EventIdentity { envelope.identity }
    public var executionID: String { envelope.executionID }
}
