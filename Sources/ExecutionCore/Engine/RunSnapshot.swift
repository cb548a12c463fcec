/// A run's record as of now: state, timings, and its result or why it ended. Readable by its owner
/// while it runs and after it ends (within the engine's bounded history).
public struct RunSnapshot: Sendable, Equatable {
    /// The server-made run id (the API's `/v1/runs/{id}`, events' `execution_id`).
    public let id: String
    public let engineID: String
    public let userID: String
    public let threadID: String
    /// The context's logical run id.
    public let runID: String
    public let agent: String
    public let state: RunState
    /// For `cancelled`: the `CancelReason` word; for `failed`: the failure kind
    /// (`bad_output`, `spawn_failed`, …); for `timed_out`: "timeout"; nil otherwise.
    public let reason: String?
    /// For `failed`: the agent's (or engine's) message.
    public let errorMessage: String?
    /// For `completed`: the agent's result.
    public let result: JSONValue?
    public let createdAt: Timestamp
    public let startedAt: Timestamp?
    public let endedAt: Timestamp?

    public init(id: String, engineID: String, userID: String, threadID: String, runID: String, agent: String,
                state: RunState, reason: String?, errorMessage: String?, result: JSONValue?, createdAt: Timestamp,
                startedAt: Timestamp?, endedAt: Timestamp?) {
        self.id = id
        self.engineID = engineID
        self.userID = userID
        self.threadID = threadID
        self.runID = runID
        self.agent = agent
        self.state = state
        self.reason = reason
        self.errorMessage = errorMessage
        self.result = result
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
    }

    /// Time spent queued before starting (nil until it starts).
    public var queueWait: Duration? { startedAt.map { $0 - createdAt } }
    /// Time from start to end (nil until it ends, and for runs that never started).
    public var duration: Duration? {
        guard let startedAt, let endedAt else { return nil }
        return endedAt - startedAt
    }

    /// The record with SPEC-style field names; timestamps RFC 3339, durations in milliseconds.
    public var jsonValue: JSONValue {
        func stamp(_ time: Timestamp?) -> JSONValue { time.map { .string($0.iso8601) } ?? .null }
        func millis(_ duration: Duration?) -> JSONValue { duration.map { .integer($0.nanoseconds / 1_000_000) } ?? .null }
        return .object([
            "id": .string(id),
            "engine_id": .string(engineID),
            "user_id": .string(userID),
            "thread_id": .string(threadID),
            "run_id": .string(runID),
            "agent": .string(agent),
            "state": .string(state.rawValue),
            "reason": reason.map(JSONValue.string) ?? .null,
            "error": errorMessage.map(JSONValue.string) ?? .null,
            "result": result ?? .null,
            "created_at": stamp(createdAt),
            "started_at": stamp(startedAt),
            "ended_at": stamp(endedAt),
            "queue_wait_ms": millis(queueWait),
            "duration_ms": millis(duration),
        ])
    }
}
