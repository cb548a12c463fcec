/// One line of a process agent's stdout, understood (the JSON-lines protocol in SPEC.md §3):
///
///     {"type":"agent_thinking","data":{"reasoning":"…","step":1}}
///     {"type":"tool_executing","data":{"tool_name":"search","parameters":{…}}}
///     {"type":"tool_completed","data":{"tool_name":"search","result":…,"duration_ms":12}}
///     {"type":"agent_completed","result":…}          (last)
///     {"type":"agent_error","message":"…"}            (last)
///
/// Identity fields in a line are ignored: the engine stamps user, thread and run itself.
enum AgentOutputLine: Equatable {
    case progress(EventType, data: JSONValue)
    case completed(result: JSONValue)
    case error(message: String)
    /// Whitespace only: skipped.
    case blank

    /// Parses one line (without its newline). Returns a reason for people when it is not a
    /// valid event line.
    static func parse(_ bytes: ArraySlice<UInt8>) -> Result<AgentOutputLine, LineError> {
        var slice = bytes
        while let last = slice.last, last == 0x0D || last == 0x20 || last == 0x09 { slice.removeLast() }
        while let first = slice.first, first == 0x20 || first == 0x09 { slice.removeFirst() }
        if slice.isEmpty { return .success(.blank) }
        let value: JSONValue
        do {
            value = try slice.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSONValue in
                try JSONValue.parse(buffer)
            }
        } catch {
            return .failure(LineError("not JSON (\(error.description))"))
        }
        guard let object = value.objectValue else { return .failure(LineError("not a JSON object")) }
        guard let typeName = object["type"]?.stringValue else { return .failure(LineError("no \"type\" string")) }
        guard let type = EventType(rawValue: typeName) else {
            return .failure(LineError("unknown event type \"\(typeName.prefix(64))\""))
        }
        switch type {
        case .agentThinking, .toolExecuting, .toolCompleted:
            let data = object["data"] ?? .object([:])
            guard data.objectValue != nil else { return .failure(LineError("\"data\" of \(typeName) must be an object")) }
            return .success(.progress(type, data: data))
        case .agentCompleted:
            return .success(.completed(result: object["result"] ?? .null))
        case .agentError:
            let message = object["message"]?.stringValue ?? "the agent reported an error"
            return .success(.error(message: message))
        case .agentStarted, .runQueued, .runCancelled, .runTimedOut:
            return .failure(LineError("event type \"\(typeName)\" is emitted by the engine, not by agents"))
        }
    }

    struct LineError: Error, Equatable {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
