import Foundation
import IsolationdTesting
import Testing

/// The integration configuration (`APITestConfiguration.json`) with its `server` or `logging`
/// section replaced.
enum OperationsConfiguration {
    static let defaultServer = #""server": {"host": "127.0.0.1", "port": 0, "event_loops": 2, "drain": {"delay_seconds": 0, "deadline_seconds": 5}, "timeouts": {"request_head_seconds": 60}}"#
    static let defaultLogging = #""logging": {"level": "info", "format": "text", "access_log": false}"#

    static func json(users: [TestUser], server: String? = nil, logging: String? = nil,
                     shutdownDeadlineSeconds: Int? = nil) -> String {
        var text = APITestConfiguration.json(users: users)
        precondition(text.contains(defaultServer) && text.contains(defaultLogging), "APITestConfiguration changed its sections")
        if let server { text = text.replacingOccurrences(of: defaultServer, with: #""server": "# + server) }
        if let logging { text = text.replacingOccurrences(of: defaultLogging, with: #""logging": "# + logging) }
        if let shutdownDeadlineSeconds {
            text = text.replacingOccurrences(of: #""shutdown_deadline_seconds": 2"#,
                                             with: #""shutdown_deadline_seconds": \#(shutdownDeadlineSeconds)"#)
        }
        return text
    }

    /// The `tls_port=N` of the binary's text-format `listening` line.
    static func tlsPort(in output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("isolationd: listening") }),
              let range = line.range(of: "tls_port=") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
}
