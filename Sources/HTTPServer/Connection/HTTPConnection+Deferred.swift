/// Deferred responses: the wait for an answer the application completes later (see
/// `DeferredResponse`). The machine sits in `awaitingResponse` meanwhile; the answer, when it
/// comes, goes back through `send` as if the responder had returned it.
extension HTTPConnection {
    /// The responder answered `head` with a deferred response: wait for it, and hand `start`
    /// its completion. An answer given inline is sent at once, so requests pipelined behind it
    /// go on in the same turn.
    func awaitDeferred(_ deferred: DeferredResponse, head: HTTPRequestHead) {
        guard case .readingHead(let headState) = machine.state else { return }
        let completion = ResponseCompletion(loop: runtime.loop, token: token)
        machine.awaitResponse(DeferredState(headState: headState, head: head, completion: completion,
                                            startedAt: runtime.now))
        deferred.start(completion)
        guard let response = completion.startReturned() else { return }
        sendDeferred(response, for: completion)
    }

    /// In `finishTurn`: the answer, if the application gave it meanwhile (from another thread,
    /// or from the loop outside this connection's turn).
    func applyDeferredCompletion(_ deferred: DeferredState) {
        guard let response = deferred.completion.takeResponse() else { return }
        sendDeferred(response, for: deferred.completion)
    }

    /// The safety deadline passed with no answer: the server answers 503 itself (as a problem
    /// the application may complete) and the completion is cancelled, so a late one is ignored.
    func expireDeferredResponse() {
        guard case .awaitingResponse(let deferred) = machine.state else { return }
        if let response = deferred.completion.takeResponseOrCancel() {
            // Given just now from another thread, its wake-up still on the way: send it.
            return sendDeferred(response, for: deferred.completion)
        }
        runtime.logger.warning("no deferred response to \(deferred.head.method) \(HTTPConnection.path(of: deferred.head.target)) within the deferred-response timeout: answered 503")
        var problem = ProblemJSON(status: .serviceUnavailable, detail: "the response was not ready in time; retry shortly")
        var headers: HTTPHeaders = ["Retry-After": "1"]
        shared.responder.completeServerProblem(&problem, headers: &headers)
        sendDeferred(problem.response(headers: headers), for: deferred.completion)
    }

    /// The connection closed while the answer was awaited: the completion is cancelled (its
    /// `onCancel` handlers run), or an answer given but not yet taken is dropped.
    func abandonDeferred(_ deferred: DeferredState) {
        if let response = deferred.completion.takeResponseOrCancel() { bodyNotSent(response.body) }
    }

    /// Sends the answer to the awaited request, if `completion` is still the one awaited.
    private func sendDeferred(_ response: HTTPResponse, for completion: ResponseCompletion) {
        guard case .awaitingResponse(let deferred) = machine.state, deferred.completion === completion,
              machine.stopAwaiting(inputWaiting: io.hasBufferedInput) != nil else {
            return bodyNotSent(response.body)
        }
        send(completion.transformed(response), to: deferred.head, deferrable: false)
    }
}

extension ResponseBody {
    /// A deferred body: the status and headers around it are never sent.
    var isDeferred: Bool {
        if case .deferred = self { return true }
        return false
    }
}
