import HTTPServer
import VisibleLocks

/// A route's answer that may come after a shared store's round trip (the database, issue 13),
/// without the loop waiting for it.
///
/// `respond` runs `body` with an `answer` callback. When `body` answers before it returns (the
/// in-memory stores always do), that answer is returned as it is: the embedded default pays one
/// small allocation and nothing else. Otherwise the server gets a deferred response and the
/// answer completes it whenever it comes, from whichever thread. Problems become responses with
/// the request's id bound, as they would have been on the loop.
enum LaterAnswer {
    typealias Answer = @Sendable (Result<HTTPResponse, ProblemDetails>) -> Void

    static func respond(_ body: (_ answer: @escaping Answer) -> Void) -> HTTPResponse {
        let pending = Pending(requestID: RequestID.current)
        body { result in pending.answer(pending.response(for: result)) }
        return pending.returned()
    }

    /// The answer, the server's completion, and whether `respond` has returned; whichever of
    /// the answer and the completion comes second sends the response.
    private final class Pending: Sendable {
        private struct State {
            var response: HTTPResponse?
            var completion: ResponseCompletion?
            var returned = false
        }
        private let state = VisibleMutex(State())
        let requestID: String?

        init(requestID: String?) { self.requestID = requestID }

        func response(for result: Result<HTTPResponse, ProblemDetails>) -> HTTPResponse {
            switch result {
            case .success(let response): return response
            case .failure(let problem): return RequestID.$current.withValue(requestID) { problem.response() }
            }
        }

        func answer(_ response: HTTPResponse) {
            let completion = state.withLock { state -> ResponseCompletion? in
                guard state.response == nil else { return nil }
                guard let completion = state.completion else {
                    state.response = response
                    return nil
                }
                state.completion = nil
                state.response = response
                return completion
            }
            completion?.complete(response)
        }

        /// What `respond` returns: the answer if it came already, else a deferred response.
        func returned() -> HTTPResponse {
            let early = state.withLock { state -> HTTPResponse? in
                state.returned = true
                return state.response
            }
            if let early { return early }
            return .deferred { [self] completion in
                let ready = state.withLock { state -> HTTPResponse? in
                    guard let response = state.response else {
                        state.completion = completion
                        return nil
                    }
                    return response
                }
                if let ready { completion.complete(ready) }
            }
        }
    }
}
