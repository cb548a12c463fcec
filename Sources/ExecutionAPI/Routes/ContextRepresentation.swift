import ExecutionCore

/// The API's one serialisation of a context: the core's document (`UserExecutionContext.jsonValue`,
/// what a process agent receives) plus `"id"`, keys sorted, written straight into bytes without
/// building the intermediate dictionary; context creation is the hottest write path of the API.
/// Every context answer (create, child, read) is made here; a test in
/// `Tests/ExecutionAPITests/Bodies` holds it byte for byte to the core's document.
enum ContextRepresentation {
    static func bytes(_ context: UserExecutionContext) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        func key(_ name: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
        }
        func string(_ value: String) { JSONValue.writeString(value, into: &out) }
        func optional(_ value: String?) {
            if let value { string(value) } else { out.append(contentsOf: "null".utf8) }
        }
        out.append(UInt8(ascii: "{"))
        key("agent_context", first: true)
        JSONValue.writeObject(context.agentContext, into: &out)
        key("audit_metadata")
        JSONValue.writeObject(context.auditMetadata, into: &out)
        key("created_at")
        // The audit stamp is the same instant in the same format; reuse it instead of formatting twice.
        if case .string(let stamp)? = context.auditMetadata["context_created_at"], stamp.utf8.count == 24 {
            string(stamp)
        } else {
            string(context.createdAt.iso8601)
        }
        key("id")
        string(context.requestID)
        key("operation_depth")
        JSONValue.writeInteger(Int64(context.operationDepth), into: &out)
        key("parent_request_id")
        optional(context.parentRequestID)
        key("request_id")
        string(context.requestID)
        key("run_id")
        string(context.runID)
        key("thread_id")
        string(context.threadID)
        key("user_id")
        string(context.userID)
        key("websocket_client_id")
        optional(context.websocketClientID)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
