import HTTPServer
import IsolationdTesting
import Synchronization
import VisibleLocks

/// Answers every request with "METHOD target" plus its body, as text; counts requests.
func echoResponder() -> ClosureResponder {
    ClosureResponder { request in
        let text = "\(request.method.rawValue) \(request.target)\n"
        return HTTPResponse(status: .ok, contentType: "text/plain", body: Array(text.utf8) + request.body)
    }
}

/// Collects values from any thread (stream callbacks).
final class Recorder<Value: Sendable>: Sendable {
    private let values = VisibleMutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }

    /// Waits (bounded) until `count` values were recorded.
    func wait(forCount count: Int, within: Duration = .seconds(5)) async -> [Value] {
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            let current = all
            if current.count >= count { return current }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return all
    }
}

extension HTTPServerConfiguration {
    static func testing(_ adjust: (inout HTTPServerConfiguration) -> Void) -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration.testing
        adjust(&configuration)
        return configuration
    }
}
