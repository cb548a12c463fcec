import Glibc
import HTTPServer
import IsolationdTesting

/// A plain-text answer.
func textResponse(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
    HTTPResponse(status: status, contentType: "text/plain", body: Array(text.utf8))
}

/// A responder whose every answer is deferred: `start` gets the request and its completion.
func deferringResponder(_ start: @escaping @Sendable (HTTPRequest, ResponseCompletion) -> Void) -> ClosureResponder {
    ClosureResponder { request in .deferred { completion in start(request, completion) } }
}

/// Completes `completion` with `response` from a new thread after `delay`.
func complete(_ completion: ResponseCompletion, with response: HTTPResponse, after delay: Duration) {
    onAnotherThread {
        usleep(UInt32(delay.components.seconds * 1_000_000 + delay.components.attoseconds / 1_000_000_000_000))
        completion.complete(response)
    }
}

/// A responder that gives the server's own problems a type of its own and a header (to see that
/// the deferred-response timeout goes through `completeServerProblem`), and defers every answer.
struct ProblemStampingResponder: HTTPResponder {
    let start: @Sendable (HTTPRequest, ResponseCompletion) -> Void

    func respond(to request: HTTPRequest) -> HTTPResponse {
        // Decorated as a layer above would: whatever is sent, the server's own 503 included.
        let deferred = DeferredResponse { completion in start(request, completion) }.map { response in
            var decorated = response
            decorated.headers.set("X-Decorated", "yes")
            return decorated
        }
        return HTTPResponse(status: .ok, body: .deferred(deferred))
    }

    func completeServerProblem(_ problem: inout ProblemJSON, headers: inout HTTPHeaders) {
        problem.type = "https://problems.test/\(problem.status.code)"
        headers.set("X-Stamped", "yes")
    }
}
