import HTTPServer
import Logging

/// The access log: one info line per request the service answers, written by `APIResponder`
/// through the logger it is given (`isolationd.access` in the executable).
///
/// A line carries the request id (the `X-Request-ID` answered), method, path, status, duration,
/// peer and, for complete bodies, their size. The query, when there is one, is logged with the
/// value of every `access_token` parameter replaced (bearer tokens in the URI, RFC 6750 §2.3,
/// which browsers' WebSocket clients use), so credentials never reach a log file. Numbers are
/// passed as numbers, so a JSON log handler writes them unquoted.
public struct AccessLog: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// Logs one answered request; `nanoseconds` is the time the responder took.
    func record(_ request: HTTPRequest, id: String, response: HTTPResponse, nanoseconds: Int64) {
        let status = response.status.code
        var metadata: Logger.Metadata = [
            "request_id": .string(id), "method": .string(request.method.rawValue), "path": .string(request.path),
            "status": .stringConvertible(status), "duration_ms": .stringConvertible(AccessLog.milliseconds(nanoseconds)),
            "peer": .string(request.remoteAddress),
        ]
        if let query = AccessLog.query(of: request.target) {
            metadata["query"] = .string(AccessLog.redacted(query: query))
        }
        if case .bytes(let body) = response.body {
            metadata["bytes"] = .stringConvertible(body.count)
        }
        logger.info("\(request.method.rawValue) \(request.path) \(status)", metadata: metadata)
    }

    /// The query of a request target (after `?`), nil when there is none.
    static func query(of target: String) -> Substring? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        let query = target[target.index(after: mark)...]
        return query.isEmpty ? nil : query
    }

    /// The query with every `access_token` value replaced by `<redacted>`; the other parameters
    /// are kept as sent.
    static func redacted(query: Substring) -> String {
        guard query.contains("access_token=") else { return String(query) }
        return query.split(separator: "&", omittingEmptySubsequences: false).map { parameter -> Substring in
            parameter.hasPrefix("access_token=") ? "access_token=<redacted>" : parameter
        }.joined(separator: "&")
    }

    /// Nanoseconds as milliseconds, rounded to the microsecond.
    static func milliseconds(_ nanoseconds: Int64) -> Double {
        Double(max(0, nanoseconds) / 1000) / 1000
    }
}
