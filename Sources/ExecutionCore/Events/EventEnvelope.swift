/// A published event: the draft plus its per-user sequence id. `json` is the envelope serialized
/// once at publish time (SPEC.md §4 field names), so fan-out to many subscribers copies bytes,
/// never re-encodes.
public struct EventEnvelope: Sendable {
    /// Per-user, monotonic, starting at 1.
    public var id: UInt64
    public var type: EventType
    public var identity: EventIdentity
    public var executionID: String
    public var agent: String
    public var timestamp: Timestamp
    public var data: JSONValue
    /// `{"id":…,"type":…,"user_id":…,"thread_id":…,"run_id":…,"execution_id":…,"request_id":…,
    /// "engine_id":…,"agent":…,"timestamp":"…Z","data":{…}}` as UTF-8.
    public var json: [UInt8]

    public init(id: UInt64, draft: EventDraft, json: [UInt8]) {
        self.id = id
        self.type = draft.type
        self.identity = draft.identity
        self.executionID = draft.executionID
        self.agent = draft.agent
        self.timestamp = draft.timestamp
        self.data = draft.data
        self.json = json
    }
}
