/// A published event: the draft plus its per-user sequence id. `json` is the envelope serialized
/// once at publish time (SPEC.md §4 field names), so fan-out to many subscribers copies bytes,
/// never re-encodes.
///
/// The draft is kept whole rather than field by field, so publishing moves it in (no string is
/// copied or retained again); its fields are read through the properties below.
public struct EventEnvelope: Sendable {
    /// Per-user, monotonic, starting at 1.
    public var id: UInt64
    /// What the engine sent, with `data` sanitised.
    public private(set) var draft: EventDraft
    /// `{"user_id":…,"thread_id":…,"run_id":…,"execution_id":…,"request_id":…,"engine_id":…,
    /// "agent":…,"type":…,"timestamp":"…Z","data":{…},"id":N}` as UTF-8.
    public var json: [UInt8]

    public init(id: UInt64, draft: EventDraft, json: [UInt8]) {
        self.id = id
        self.draft = draft
        self.json = json
    }

    public var type: EventType { draft.type }
    public var identity: EventIdentity { draft.identity }
    public var executionID: String { draft.executionID }
    public var agent: String { draft.agent }
    public var timestamp: Timestamp { draft.timestamp }
    public var data: JSONValue {
        get { draft.data }
        set { draft.data = newValue }
    }
}
