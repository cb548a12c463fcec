@testable import ExecutionAPI
import ExecutionCore
import HTTPServer

extension ProblemDetails {
    /// The test oracle of a problem's body: the bytes its answer carries, parsed back (so every
    /// check of a member also checks the one writer, HTTPServer's `ProblemJSON`).
    var json: JSONValue {
        guard case .bytes(let body) = response().body, let parsed = try? JSONValue.parse(body) else { return .null }
        return parsed
    }
}
