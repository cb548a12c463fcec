/// Who an event is about. The engine's emitter fills it from its bound context; nothing an agent
/// sends can change it (an agent cannot speak for another user).
public struct EventIdentity: Sendable, Hashable {
    public var userID: String
    public var threadID: String
    public var runID: String
    public var requestID: String
    public var engineID: String
    public init(userID: String, threadID: String, runID: String, requestID: String, engineID: String) {
        self.userID = userID
        self.threadID = threadID
        self.runID = runID
        self.requestID = requestID
        self.engineID = engineID
    }
}

/// An event before the hub has given it its per-user sequence id.
public struct EventDraft: Sendable {
    public var type: EventType
    public var identity: EventIdentity
    /// The id of the agent run (one per `startRun`), the API's `/v1/runs/{id}`.
    public var executionID: String
    public var agent: String
    public var timestamp: Timestamp
    public var data: JSONValue
    public init(type: EventType, identity: EventIdentity, executionID: String, agent: String,
                timestamp: Timestamp, data: JSONValue) {
        self.type = type
        self.identity = identity
        self.executionID = executionID
        self.agent = agent
        self.timestamp = timestamp
        self.data = data
    }
}

/// The publishing side of the event path: where engines send events (the event hub in
/// production). `publish` must never wait on a subscriber; it assigns the next per-user id,
/// records the event in the user's replay ring and hands it to that user's subscribers only.
/// ("Sink" names the other end: where a stream writes its subscriber's events, in ExecutionAPI.)
public protocol EventPublisher: Sendable {
    /// The draft is taken (consumed) so its strings and data move into the published event
    /// instead of being copied; the returned event is shared, not copied.
    @discardableResult
    func publish(_ draft: consuming EventDraft) -> PublishedEvent
}
