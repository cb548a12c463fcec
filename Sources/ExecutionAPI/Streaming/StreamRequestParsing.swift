import ExecutionCore
import HTTPServer

/// Reading what a stream request asks for: which events (filters) and from where (cursor). Every
/// failure is a `ProblemDetails` naming the parameter. (Who asks: `StreamCredentials`.)
enum StreamRequestParsing {
    /// Longest id accepted in a filter (the id rule of every route, `APIRequest.isPlausibleID`).
    static let maxIdentifierBytes = APIRequest.maxIDBytes

    /// `thread_id`, `run_id`, `execution_id` from the query.
    static func filter(_ request: HTTPRequest) throws(ProblemDetails) -> EventFilter {
        EventFilter(threadID: try identifier(request, "thread_id"),
                    runID: try identifier(request, "run_id"),
                    executionID: try identifier(request, "execution_id"))
    }

    static func identifier(_ request: HTTPRequest, _ name: String) throws(ProblemDetails) -> String? {
        guard let value = request.queryItem(name) else { return nil }
        return try validIdentifier(value, field: name)
    }

    static func validIdentifier(_ value: String, field: String) throws(ProblemDetails) -> String {
        guard APIRequest.isPlausibleID(value) else {
            throw .validation(field: field, "\(field) must be 1 to \(maxIdentifierBytes) printable ASCII characters without spaces or '/'")
        }
        return value
    }

    /// The resume cursor: the `Last-Event-ID` header (what a reconnecting EventSource sends, so it
    /// beats the query of the original URL), else `?last_event_id=`, else `?after=`. nil: live
    /// only. Every source given is checked, the ones that lose included: a bad value is refused
    /// whichever would have won, as the OpenAPI document says of each parameter.
    static func cursor(_ request: HTTPRequest) throws(ProblemDetails) -> UInt64? {
        let values = request.headers.values("Last-Event-ID")
        if values.count > 1 { throw .badRequest("Last-Event-ID must appear at most once") }
        var header: UInt64?? = nil
        if let value = values.first {
            // The HTML spec lets a client send an empty Last-Event-ID ("no id yet").
            let trimmed = value.trimmingBlanks
            header = .some(trimmed.isEmpty ? nil : try eventID(trimmed, field: "Last-Event-ID"))
        }
        var query: UInt64?
        for name in ["last_event_id", "after"] {
            guard let value = request.queryItem(name) else { continue }
            let id = try eventID(value, field: name)
            if query == nil { query = id }
        }
        if let header { return header }
        return query
    }

    static func eventID(_ text: String, field: String) throws(ProblemDetails) -> UInt64 {
        guard text.utf8.count <= 20, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = UInt64(text) else {
            throw .validation(field: field, "\(field) must be an event id (a non-negative integer)")
        }
        return value
    }

    /// 429 for the per-user stream cap, 503 while shutting down.
    static func problem(for error: SubscriptionError, retryMilliseconds: Int) -> ProblemDetails {
        switch error {
        case .tooManySubscribers(let limit):
            ProblemDetails.tooManyRequests("this user already has \(limit) open event streams; close one first",
                                           retryAfter: max(1, Double(retryMilliseconds) / 1000))
                .adding(extensions: ["limit": .integer(Int64(limit))])
        case .shuttingDown:
            ProblemDetails.serviceUnavailable("the server is shutting down", retryAfter: 1)
        }
    }
}

extension ProblemDetails {
    fileprivate func adding(extensions members: [String: JSONValue]) -> ProblemDetails {
        var copy = self
        for (key, value) in members { copy.extensions[key] = value }
        return copy
    }
}

extension String {
    fileprivate var trimmingBlanks: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
