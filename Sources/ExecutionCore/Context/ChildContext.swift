extension UserExecutionContext {
    /// A context for a sub-agent (SPEC.md §1): same user, thread, run and websocket client; a new
    /// request id; depth + 1; `parentRequestID` set. It starts from a copy of this context's
    /// `agentContext` (plus `parent_operation`, `operation_name`, `operation_depth`) and
    /// `auditMetadata` (plus `parent_request_id`, `operation_name`, `child_created_at`), with the
    /// caller's additions merged on top; the system audit keys are then set for the child.
    ///
    /// Refused when this context is already at `policy.maxDepth`, when `operationName` is empty, or
    /// when the additions carry reserved keys or make an object too large.
    public func child(operationName: String, agentContext additions: JSONObject = [:],
                      auditMetadata auditAdditions: JSONObject = [:], policy: ContextPolicy,
                      clock: any ExecutionClock = SystemClock()) throws(ContextValidationError) -> UserExecutionContext {
        try Self.checkOperationName(operationName, maxCharacters: policy.maxIdentifierBytes)
        guard operationDepth < policy.maxDepth else {
            throw ContextValidationError(field: "operation_depth", reason: .depthExceeded,
                                         message: "a child of a context at depth \(operationDepth) would pass the maximum depth \(policy.maxDepth)")
        }
        try policy.checkCallerKeys(additions, field: "agent_context", alsoRefusing: [])
        try policy.checkCallerKeys(auditAdditions, field: "audit_metadata", alsoRefusing: ContextPolicy.systemAuditKeys)

        let depth = operationDepth + 1
        let createdAt = clock.now()
        let stamp = JSONValue.string(createdAt.iso8601)

        var agent = agentContext
        agent["parent_operation"] = agentContext["operation_name"] ?? .string("root")
        agent["operation_name"] = .string(operationName)
        agent["operation_depth"] = .integer(Int64(depth))
        agent.merge(additions) { _, added in added }

        var audit = auditMetadata
        audit["operation_name"] = .string(operationName)
        audit["child_created_at"] = stamp
        audit.merge(auditAdditions) { _, added in added }
        audit["parent_request_id"] = .string(requestID)
        audit["context_created_at"] = stamp
        audit["context_version"] = .string(ContextPolicy.contextVersion)
        audit["operation_depth"] = .integer(Int64(depth))

        try policy.checkSize(agent, field: "agent_context")
        try policy.checkSize(audit, field: "audit_metadata")
        return UserExecutionContext(
            userID: userID, threadID: threadID, runID: runID, requestID: RandomIdentifier.uuid(),
            websocketClientID: websocketClientID, createdAt: createdAt, agentContext: agent,
            auditMetadata: audit, operationDepth: depth, parentRequestID: requestID)
    }

    /// An operation name is free text for people, but must say something and stay short: at most
    /// `maxCharacters` characters (Unicode scalars, what JSON Schema's `maxLength` counts, so the
    /// OpenAPI document can state the rule exactly; at most 4 bytes each).
    private static func checkOperationName(_ name: String, maxCharacters: Int) throws(ContextValidationError) {
        if name.utf8.allSatisfy({ $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }) {
            throw ContextValidationError(field: "operation_name", reason: .empty, message: "operation_name must not be empty")
        }
        if name.unicodeScalars.count > maxCharacters {
            throw ContextValidationError(field: "operation_name", reason: .tooLong,
                                         message: "operation_name must be at most \(maxCharacters) characters")
        }
        if name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw ContextValidationError(field: "operation_name", reason: .invalidCharacters,
                                         message: "operation_name must not contain control characters")
        }
    }
}
