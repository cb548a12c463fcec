/// The request target as the access log writes it: the values of `access_token` query
/// parameters (bearer tokens in the URI, RFC 6750 §2.3, which browsers' WebSocket clients use)
/// are replaced, so credentials never reach log files.
enum AccessLogTarget {
    static func redacted(_ target: String) -> String {
        guard let mark = target.firstIndex(of: "?"), target[mark...].contains("access_token=") else { return target }
        let parameters = target[target.index(after: mark)...].split(separator: "&", omittingEmptySubsequences: false)
        let cleaned = parameters.map { parameter -> Substring in
            parameter.hasPrefix("access_token=") ? "access_token=<redacted>" : parameter
        }
        return String(target[...mark]) + cleaned.joined(separator: "&")
    }
}
