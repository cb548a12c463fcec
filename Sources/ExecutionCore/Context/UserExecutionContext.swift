/// One user request, as an immutable value (SPEC.md §1). Its JSON objects are values too, so a
/// copy is a deep copy: two contexts can never share mutable state, and a child never sees later
/// changes to its parent's copy (nor the reverse).
///
/// There is no public initializer: a context comes only from `ContextPolicy.makeContext(...)` or
/// `child(...)`, which validate every field first.
public struct UserExecutionContext: Sendable, Hashable {
    /// From the authenticated principal; never taken from a request body.
    public let userID: String
    /// The conversation.
    public let threadID: String
    /// The caller's logical run in the thread (generated when the caller gave none).
    public let runID: String
    /// Unique per context (a random UUID); never client-chosen.
    public let requestID: String
    /// The connection the client wants its events tagged with, if any.
    public let websocketClientID: String?
    public let createdAt: Timestamp
    /// Preferences and inputs for agents; reserved keys refused, bounded size.
    public let agentContext: JSONObject
    /// Caller audit data plus the system audit keys (`context_created_at`, `context_version`, …).
    public let auditMetadata: JSONObject
    /// 0 for a root context, parent's + 1 for a child.
    public let operationDepth: Int
    /// The parent's `requestID` on child contexts.
    public let parentRequestID: String?

    init(userID: String, threadID: String, runID: String, requestID: String, websocketClientID: String?,
         createdAt: Timestamp, agentContext: JSONObject, auditMetadata: JSONObject,
         operationDepth: Int, parentRequestID: String?) {
        self.userID = userID
        self.threadID = threadID
        self.runID = runID
        self.requestID = requestID
        self.websocketClientID = websocketClientID
        self.createdAt = createdAt
        self.agentContext = agentContext
        self.auditMetadata = auditMetadata
        self.operationDepth = operationDepth
        self.parentRequestID = parentRequestID
    }

    /// True for a context made by `child(...)`.
    public var isChild: Bool { parentRequestID != nil }

    /// The first 8 characters of user, thread, run and request ids joined by `:`, for logs.
    public var correlationID: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(35)
        for (index, id) in [userID, threadID, runID, requestID].enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ":")) }
            bytes.append(contentsOf: id.utf8.prefix(8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `component:user_id:request_id`: a key for per-request state in a shared store, so two users
    /// (or two requests) can never land on the same key.
    public func scopedKey(_ component: String) -> String {
        component + ":" + userID + ":" + requestID
    }

    /// The context as a JSON object with the SPEC field names (what the API returns and what a
    /// process agent receives as `context`). Optional fields are present as `null`, so the shape is
    /// stable.
    public var jsonValue: JSONValue {
        .object([
            "user_id": .string(userID),
            "thread_id": .string(threadID),
            "run_id": .string(runID),
            "request_id": .string(requestID),
            "websocket_client_id": websocketClientID.map(JSONValue.string) ?? .null,
            "created_at": .string(createdAt.iso8601),
            "agent_context": .object(agentContext),
            "audit_metadata": .object(auditMetadata),
            "operation_depth": .integer(Int64(operationDepth)),
            "parent_request_id": parentRequestID.map(JSONValue.string) ?? .null,
        ])
    }

    /// The audit view of this context as of `now`.
    public func auditTrail(now: Timestamp) -> ContextAuditTrail {
        ContextAuditTrail(context: self, now: now)
    }
}

/// What an auditor needs to follow a request (and its children) through the logs: the context
/// itself (its ids, parent link and audit metadata), its correlation id, and its age when the
/// trail was taken.
public struct ContextAuditTrail: Sendable, Equatable {
    public let context: UserExecutionContext
    /// How old the context was when the trail was taken.
    public let age: Duration

    init(context: UserExecutionContext, now: Timestamp) {
        self.context = context
        age = now - context.createdAt
    }

    public var correlationID: String { context.correlationID }
    public var requestID: String { context.requestID }
    public var parentRequestID: String? { context.parentRequestID }
    public var auditMetadata: JSONObject { context.auditMetadata }

    public var jsonValue: JSONValue {
        .object([
            "correlation_id": .string(correlationID),
            "user_id": .string(context.userID),
            "thread_id": .string(context.threadID),
            "run_id": .string(context.runID),
            "request_id": .string(requestID),
            "websocket_client_id": context.websocketClientID.map(JSONValue.string) ?? .null,
            "created_at": .string(context.createdAt.iso8601),
            "operation_depth": .integer(Int64(context.operationDepth)),
            "parent_request_id": parentRequestID.map(JSONValue.string) ?? .null,
            "context_age_seconds": .double(age.secondsDouble),
            "audit_metadata": .object(auditMetadata),
        ])
    }
}
