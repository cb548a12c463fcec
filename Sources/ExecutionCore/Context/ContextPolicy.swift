/// The rules contexts are validated against, as data (the `contexts` section of the config), and
/// the only way to make a context. Defaults are SPEC.md §1's.
public struct ContextPolicy: Sendable {
    public static let defaultPlaceholderValues = [
        "registry", "placeholder", "default", "temp", "none", "null", "undefined", "0", "1", "xxx", "yyy",
        "example", "test", "demo", "sample", "template", "mock", "fake", "dummy",
    ]
    public static let defaultReservedKeys = [
        "user_id", "thread_id", "run_id", "request_id", "created_at", "websocket_client_id",
        "operation_depth", "parent_request_id",
    ]
    /// Audit keys the system writes on every context; a caller may not supply them either.
    public static let systemAuditKeys: Set<String> = [
        "context_created_at", "context_version", "operation_depth", "parent_request_id",
    ]
    /// The value of the `context_version` audit key.
    public static let contextVersion = "1"

    public let placeholderValues: [String]
    public let reservedKeys: Set<String>
    /// Longest id accepted, in bytes.
    public let maxIdentifierBytes: Int
    /// Largest serialized `agent_context` / `audit_metadata`, in bytes.
    public let maxJSONBytes: Int
    /// Deepest nesting accepted inside those objects (the object itself is level 1).
    public let maxJSONNesting: Int
    /// Deepest child allowed (a root context has depth 0).
    public let maxDepth: Int

    let identifiers: IdentifierRules

    public init(placeholderValues: [String] = ContextPolicy.defaultPlaceholderValues,
                reservedKeys: [String] = ContextPolicy.defaultReservedKeys,
                maxIdentifierBytes: Int = 128, maxJSONBytes: Int = 65_536,
                maxJSONNesting: Int = 64, maxDepth: Int = 10) {
        self.placeholderValues = placeholderValues
        self.reservedKeys = Set(reservedKeys)
        self.maxIdentifierBytes = max(1, maxIdentifierBytes)
        self.maxJSONBytes = max(2, maxJSONBytes)
        self.maxJSONNesting = max(1, maxJSONNesting)
        self.maxDepth = max(0, maxDepth)
        identifiers = IdentifierRules(maxBytes: self.maxIdentifierBytes,
                                      placeholders: PlaceholderMatcher(words: placeholderValues))
    }

    /// Makes a root context for the authenticated `userID`. `runID` is generated when absent;
    /// `requestID` always is. System audit keys are added to `auditMetadata`.
    public func makeContext(userID: String, threadID: String, runID: String? = nil,
                            websocketClientID: String? = nil, agentContext: JSONObject = [:],
                            auditMetadata: JSONObject = [:],
                            clock: any ExecutionClock = SystemClock()) throws(ContextValidationError) -> UserExecutionContext {
        try identifiers.check(userID, field: "user_id")
        try identifiers.check(threadID, field: "thread_id")
        if let runID { try identifiers.check(runID, field: "run_id") }
        if let websocketClientID { try identifiers.check(websocketClientID, field: "websocket_client_id") }
        try checkCallerKeys(agentContext, field: "agent_context", alsoRefusing: [])
        try checkCallerKeys(auditMetadata, field: "audit_metadata", alsoRefusing: Self.systemAuditKeys)

        let createdAt = clock.now()
        var audit = auditMetadata
        audit.reserveCapacity(auditMetadata.count + 3)
        audit["context_created_at"] = .string(createdAt.iso8601)
        audit["context_version"] = .string(Self.contextVersion)
        audit["operation_depth"] = .integer(0)
        try checkSize(agentContext, field: "agent_context")
        try checkSize(audit, field: "audit_metadata")

        return UserExecutionContext(
            userID: userID, threadID: threadID, runID: runID ?? RandomIdentifier.uuid(),
            requestID: RandomIdentifier.uuid(), websocketClientID: websocketClientID, createdAt: createdAt,
            agentContext: agentContext, auditMetadata: audit, operationDepth: 0, parentRequestID: nil)
    }

    /// Re-checks every rule on a context (the factory does before it builds an engine) and returns
    /// the same value. A value that did not come out of this policy's rules (another, laxer policy,
    /// or a forged value) is refused with the field that breaks them.
    @discardableResult
    public func validate(_ context: UserExecutionContext) throws(ContextValidationError) -> UserExecutionContext {
        try identifiers.check(context.userID, field: "user_id")
        try identifiers.check(context.threadID, field: "thread_id")
        try identifiers.check(context.runID, field: "run_id")
        try identifiers.check(context.requestID, field: "request_id")
        if let id = context.websocketClientID { try identifiers.check(id, field: "websocket_client_id") }
        guard context.operationDepth >= 0, context.operationDepth <= maxDepth else {
            throw ContextValidationError(field: "operation_depth", reason: .depthExceeded,
                                         message: "operation_depth must be between 0 and \(maxDepth)")
        }
        let depth = JSONValue.integer(Int64(context.operationDepth))
        if let parent = context.parentRequestID {
            try identifiers.check(parent, field: "parent_request_id")
            guard context.operationDepth > 0, context.auditMetadata["parent_request_id"] == .string(parent) else {
                throw Self.inconsistent("parent_request_id", "a child context must be deeper than its parent and say so in its audit metadata")
            }
        } else if context.operationDepth != 0 {
            throw Self.inconsistent("parent_request_id", "a context below the root must name its parent")
        }
        guard context.auditMetadata["operation_depth"] == depth else {
            throw Self.inconsistent("audit_metadata", "audit_metadata.operation_depth must equal operation_depth")
        }
        // System-owned keys may appear only with the system's values (checked above / below).
        let agentSystemKeys: Set<String> = context.operationDepth > 0 ? ["operation_depth"] : []
        if context.operationDepth > 0, context.agentContext["operation_depth"] != depth {
            throw Self.inconsistent("agent_context", "agent_context.operation_depth must equal operation_depth")
        }
        try checkStoredKeys(context.agentContext, field: "agent_context", systemOwned: agentSystemKeys)
        try checkStoredKeys(context.auditMetadata, field: "audit_metadata", systemOwned: Self.systemAuditKeys)
        try checkSize(context.agentContext, field: "agent_context")
        try checkSize(context.auditMetadata, field: "audit_metadata")
        return context
    }

    // MARK: - Rules shared with `child(...)`

    func checkIdentifier(_ value: String, field: String) throws(ContextValidationError) {
        try identifiers.check(value, field: field)
    }

    /// Caller-supplied keys: reserved keys (and, for audit metadata, system audit keys) refused.
    func checkCallerKeys(_ object: JSONObject, field: String, alsoRefusing extra: Set<String>) throws(ContextValidationError) {
        for key in object.keys where reservedKeys.contains(key) || extra.contains(key) {
            throw ContextValidationError(field: field, reason: .reservedKey,
                                         message: "\(field) must not contain the reserved key '\(key)'")
        }
    }

    /// Stored objects may hold system-owned keys (their values are checked separately), nothing
    /// else reserved.
    private func checkStoredKeys(_ object: JSONObject, field: String, systemOwned: Set<String>) throws(ContextValidationError) {
        for key in object.keys where reservedKeys.contains(key) && !systemOwned.contains(key) {
            throw ContextValidationError(field: field, reason: .reservedKey,
                                         message: "\(field) must not contain the reserved key '\(key)'")
        }
    }

    func checkSize(_ object: JSONObject, field: String) throws(ContextValidationError) {
        if object.isEmpty { return }
        switch JSONSizeMeter.measure(object, limit: maxJSONBytes, maxNesting: maxJSONNesting) {
        case .fits: return
        case .tooLarge:
            throw ContextValidationError(field: field, reason: .tooLarge,
                                         message: "\(field) must serialize to at most \(maxJSONBytes) bytes")
        case .tooDeep:
            throw ContextValidationError(field: field, reason: .tooDeep,
                                         message: "\(field) must not nest deeper than \(maxJSONNesting) levels")
        }
    }

    private static func inconsistent(_ field: String, _ message: String) -> ContextValidationError {
        ContextValidationError(field: field, reason: .inconsistent, message: message)
    }
}
