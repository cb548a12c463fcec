/// A context as a shared store keeps it: its JSON (`jsonValue`, every field) plus the creation
/// time in whole nanoseconds (`created_at_ns`), because the ISO 8601 `created_at` is rounded and
/// a listing cursor must find the exact key again. Decoding gives back an equal value, audit
/// metadata and parent link included, or nil for a document that is not a stored context.
extension UserExecutionContext {
    /// The stored form, serialized.
    public var storedJSON: [UInt8] {
        guard case .object(var object) = jsonValue else { return jsonValue.serialized() }
        object["created_at_ns"] = .integer(createdAt.nanoseconds)
        return JSONValue.object(object).serialized()
    }

    /// The context `storedJSON` was made from; nil when `bytes` is not such a document.
    public init?(storedJSON bytes: [UInt8]) {
        guard let value = try? JSONValue.parse(bytes), case .object(let object) = value,
              case .string(let userID)? = object["user_id"], case .string(let threadID)? = object["thread_id"],
              case .string(let runID)? = object["run_id"], case .string(let requestID)? = object["request_id"],
              case .integer(let createdAt)? = object["created_at_ns"],
              case .object(let agentContext)? = object["agent_context"],
              case .object(let auditMetadata)? = object["audit_metadata"],
              case .integer(let depth)? = object["operation_depth"],
              let websocketClientID = Self.optionalString(object["websocket_client_id"]),
              let parentRequestID = Self.optionalString(object["parent_request_id"]) else { return nil }
        self.init(userID: userID, threadID: threadID, runID: runID, requestID: requestID,
                  websocketClientID: websocketClientID, createdAt: Timestamp(nanoseconds: createdAt),
                  agentContext: agentContext, auditMetadata: auditMetadata,
                  operationDepth: Int(depth), parentRequestID: parentRequestID)
    }

    /// `.some(nil)` for JSON null, `.some(text)` for a string, nil (not decodable) otherwise.
    private static func optionalString(_ value: JSONValue?) -> String?? {
        switch value {
        case .string(let text)?: return .some(text)
        case .null?, nil: return .some(nil)
        default: return nil
        }
    }
}
