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
    /// The parsed data was dropped (`keepEncodedDataOnly`): `json` is its only copy.
    private var dataIsEncodedOnly = false

    public init(id: UInt64, draft: EventDraft, json: [UInt8]) {
        self.id = id
        self.draft = draft
        self.json = json
    }

    /// Drops the parsed `data` tree, so the envelope keeps its data once, encoded: the hub does
    /// this before an event enters the replay ring (the ring's memory is the encoded size, which
    /// is what the user's budget is charged). `draft.data` is then `null`; `data` decodes `json`.
    mutating func keepEncodedDataOnly() {
        draft.data = .null
        dataIsEncodedOnly = true
    }

    public var type: EventType { draft.type }
    public var identity: EventIdentity { draft.identity }
    public var executionID: String { draft.executionID }
    public var agent: String { draft.agent }
    public var timestamp: Timestamp { draft.timestamp }
    /// The event's data: decoded from `json` once the parsed copy was dropped (a parse: for
    /// tests and tools, never a delivery path, which writes `json`).
    public var data: JSONValue {
        get {
            guard dataIsEncodedOnly else { return draft.data }
            return (try? JSONValue.parse(json))?["data"] ?? .null
        }
        set {
            draft.data = newValue
            dataIsEncodedOnly = false
        }
    }
}
