/// Who an event is about. The engine's emitter fills it from its bound context; nothing an agent
/// sends can change it (an agent cannot speak for another user).
///
/// The five ids live in one shared, immutable box: an identity is copied into every draft,
/// envelope and published record, and retaining one reference instead of five strings takes a
/// large share of the hub's publish cost away.
public struct EventIdentity: Sendable, Hashable {
    private final class Storage: Sendable {
        let userID: String
        let threadID: String
        let runID: String
        let requestID: String
        let engineID: String
        init(userID: String, threadID: String, runID: String, requestID: String, engineID: String) {
            self.userID = userID
            self.threadID = threadID
            self.runID = runID
            self.requestID = requestID
            self.engineID = engineID
        }
    }

    private let storage: Storage

    public var userID: String { storage.userID }
    public var threadID: String { storage.threadID }
    public var runID: String { storage.runID }
    public var requestID: String { storage.requestID }
    public var engineID: String { storage.engineID }

    public init(userID: String, threadID: String, runID: String, requestID: String, engineID: String) {
        storage = Storage(userID: userID, threadID: threadID, runID: runID, requestID: requestID, engineID: engineID)
    }

    public static func == (a: EventIdentity, b: EventIdentity) -> Bool {
        a.storage === b.storage
            || (a.userID == b.userID && a.threadID == b.threadID && a.runID == b.runID
                && a.requestID == b.requestID && a.engineID == b.engineID)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(userID)
        hasher.combine(threadID)
        hasher.combine(runID)
        hasher.combine(requestID)
        hasher.combine(engineID)
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

/// Where engines send events: the event hub in production. `publish` must never wait on a
/// subscriber; it assigns the next per-user id, records the event in the user's replay ring and
/// hands it to that user's subscribers only.
public protocol EventSink: Sendable {
    @discardableResult
    func publish(_ draft: EventDraft) -> EventEnvelope
}
