import ExecutionCore

/// A WebSocket client's control message:
/// `{"subscribe": {"thread_id": "...", "run_id": "...", "execution_id": "..."}, "after": 42}`.
/// `subscribe` may be `{}` or null (all of the user's events); `after` may be absent or null
/// (continue after the last event sent on this connection).
struct StreamClientMessage: Equatable {
    var filter: EventFilter
    var after: UInt64?

    struct Invalid: Error, Equatable {
        var detail: String
    }

    static func parse(_ text: String) throws(Invalid) -> StreamClientMessage {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw Invalid(detail: "the message is not valid JSON: \(error)")
        }
        guard case .object(let members) = json else { throw Invalid(detail: "the message must be a JSON object") }
        for key in members.keys where key != "subscribe" && key != "after" {
            throw Invalid(detail: "unknown member \"\(key.prefix(64))\"; expected \"subscribe\" and \"after\"")
        }
        guard let subscribe = members["subscribe"] else { throw Invalid(detail: "the message needs a \"subscribe\" member") }
        var filter = EventFilter()
        switch subscribe {
        case .null: break
        case .object(let fields):
            for (key, value) in fields {
                let id: String?
                switch value {
                case .null: id = nil
                case .string(let text):
                    do {
                        id = try StreamRequestParsing.validIdentifier(text, field: key)
                    } catch {
                        throw Invalid(detail: error.detail ?? "\(key) is not a valid id")
                    }
                default: throw Invalid(detail: "subscribe.\(key.prefix(64)) must be a string or null")
                }
                switch key {
                case "thread_id": filter.threadID = id
                case "run_id": filter.runID = id
                case "execution_id": filter.executionID = id
                default: throw Invalid(detail: "unknown filter \"\(key.prefix(64))\"; expected thread_id, run_id or execution_id")
                }
            }
        default: throw Invalid(detail: "\"subscribe\" must be an object or null")
        }
        var after: UInt64?
        switch members["after"] {
        case nil, .null?: after = nil
        case .integer(let value)? where value >= 0: after = UInt64(value)
        default: throw Invalid(detail: "\"after\" must be a non-negative integer event id or null")
        }
        return StreamClientMessage(filter: filter, after: after)
    }
}
