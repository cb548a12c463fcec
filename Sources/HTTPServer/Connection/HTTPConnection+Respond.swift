import Logging

/// Answering: probes, the responder, errors; serialising into the output buffer.
extension HTTPConnection {
    /// A complete request from the machine: inflate its body if it is gzip, then answer it.
    func answer(_ head: HTTPRequestHead, body: [UInt8], bodyLimit: Int) {
        guard !body.isEmpty else { return dispatch(head, body: body) }
        var head = head
        guard let decoded = decodeRequestBody(&head, body, limit: bodyLimit) else { return }
        dispatch(head, body: decoded)
    }

    /// Probes first (the fastest path), then the responder.
    private func dispatch(_ head: HTTPRequestHead, body: [UInt8]) {
        runtime.loop.counters.requests.wrappingAdd(1, ordering: .relaxed)
        if shared.probesEnabled, let probe = ProbeResponses.match(head.target) {
            guard head.method == .get || head.method == .head else { return send(probeMethodAnswer(head.method), to: head) }
            let keepAlive = keepsAlive(head)
            _ = shared.probes.append(probe.probe, verbose: probe.verbose, headOnly: head.method == .head,
                                     phase: shared.phase, connection: connectionField(head, keepAlive: keepAlive),
                                     date: runtime.date.bytes, into: &io.outbound)
            machine.responded(keepAlive: keepAlive, now: runtime.now)
            return
        }
        let request = HTTPRequest(method: head.method, target: head.target, version: head.version,
                                  headers: head.headers, body: body, remoteAddress: remoteAddress, isSecure: io.tls != nil)
        let response = shared.responder.respond(to: request)
        send(response, to: head)
    }

    /// Any other method on a probe's path: OPTIONS 204, 405 or 501 with `Allow` (RFC 9110 §9.1).
    private func probeMethodAnswer(_ method: HTTPMethod) -> HTTPResponse {
        switch MethodSemantics.outcome(for: method, allowed: .probe, recognised: method.isStandard) {
        case .answer(let response):
            return response
        case .problem(var problem, var headers):
            shared.responder.completeServerProblem(&problem, headers: &headers)
            return problem.response(headers: headers)
        }
    }

    /// Whether the connection stays open after answering `head`.
    func keepsAlive(_ head: HTTPRequestHead) -> Bool {
        head.keepAlive && !shared.isDraining
    }

    func connectionField(_ head: HTTPRequestHead, keepAlive: Bool) -> ResponseHeadWriter.ConnectionField {
        guard keepAlive else { return .close }
        return head.version == .http1_0 ? .keepAlive : .persistent
    }

    /// Serialises the responder's answer and moves the machine on. `deferrable`: false for the
    /// answer a deferred response completes with (which may not defer again).
    func send(_ proposed: HTTPResponse, to head: HTTPRequestHead, deferrable: Bool = true) {
        var response = proposed
        // The head around a deferred body is never sent, so it cannot be invalid.
        if let failure = ResponseHeadWriter.validationFailure(status: response.status, headers: response.headers),
           !response.body.isDeferred {
            runtime.logger.error("refused an invalid response to \(head.method) \(HTTPConnection.path(of: head.target)): \(failure)")
            bodyNotSent(response.body)
            response = HTTPResponse(status: .internalServerError)
        }
        compressIfWorthwhile(&response, for: head)
        var keepAlive = keepsAlive(head)
        if response.headers.listContains("Connection", token: "close") { keepAlive = false }
        let headOnly = head.method == .head
        let code = response.status.code
        let bodyless = (100...199).contains(code) || code == 204 || code == 304
        let date = runtime.date.bytes
        let serverName = shared.serverName

        switch response.body {
        case .empty:
            ResponseHeadWriter.append(status: response.status, headers: response.headers,
                                      framing: bodyless ? .none : .contentLength(0),
                                      connection: connectionField(head, keepAlive: keepAlive),
                                      date: date, serverName: serverName, into: &io.outbound)
            machine.responded(keepAlive: keepAlive, now: runtime.now)
        case .bytes(let bytes):
            io.outbound.reserveCapacity(io.outbound.count + bytes.count + 256)
            ResponseHeadWriter.append(status: response.status, headers: response.headers,
                                      framing: bodyless ? .none : .contentLength(bytes.count),
                                      connection: connectionField(head, keepAlive: keepAlive),
                                      date: date, serverName: serverName, into: &io.outbound)
            if !headOnly, !bodyless { io.outbound.append(contentsOf: bytes) }
            machine.responded(keepAlive: keepAlive, now: runtime.now)
        case .stream(let producer):
            // HTTP/1.0 has no chunked coding: the body then ends when the connection closes.
            let chunked = head.version != .http1_0
            if !chunked { keepAlive = false }
            let encoder = headOnly || bodyless ? nil : streamEncoderIfWanted(&response.headers, for: head)
            ResponseHeadWriter.append(status: response.status, headers: response.headers,
                                      framing: chunked && !bodyless ? .chunked : .none,
                                      connection: connectionField(head, keepAlive: keepAlive),
                                      date: date, serverName: serverName, into: &io.outbound)
            if headOnly || bodyless {
                producer.notStarted()
                machine.responded(keepAlive: keepAlive, now: runtime.now)
            } else {
                startStream(producer, chunked: chunked, keepAlive: keepAlive, encoder: encoder)
            }
        case .webSocket(let upgrade):
            acceptWebSocket(upgrade, head: head, response: response)
        case .deferred(let deferred):
            guard deferrable else {
                runtime.logger.error("refused a deferred response completing a deferred response to \(head.method) \(HTTPConnection.path(of: head.target))")
                return send(HTTPResponse(status: .internalServerError), to: head, deferrable: false)
            }
            awaitDeferred(deferred, head: head)
        }
    }

    /// The responder's streamed or WebSocket body will not be sent after all: its producer
    /// learns it at once (exactly one of `start`/`notStarted`, `onOpen`/`onRefused` runs for
    /// every response a responder returns).
    func bodyNotSent(_ body: ResponseBody) {
        switch body {
        case .stream(let producer): producer.notStarted()
        case .webSocket(let upgrade): upgrade.onRefused()
        case .empty, .bytes, .deferred: break
        }
    }

    // MARK: errors

    /// An error found while answering (a body that does not inflate, a refused upgrade): answer
    /// it and close, or close at once when an answer is already under way.
    func answerError(_ status: HTTPStatus, reason: String, extraHeaders: HTTPHeaders = [:]) {
        guard machine.abandonRequest() else {
            closeNow(reason: .clientClosed)
            return
        }
        queueRejection(status, reason: reason, extraHeaders: extraHeaders)
    }

    /// Queues the problem+json answer to a rejected request (the machine is closing after it).
    /// Used for parse errors, limits and timeouts: the framing can no longer be trusted, so the
    /// input goes too.
    func queueRejection(_ status: HTTPStatus, reason: String, extraHeaders: HTTPHeaders = [:]) {
        io.dropInput()
        appendProblem(status, detail: reason, headers: extraHeaders)
        runtime.loop.counters.requests.wrappingAdd(1, ordering: .relaxed)
        // Not an access line (the responder's access log never sees this request): a diagnostic.
        runtime.logger.debug("rejected request: \(status.code) \(reason)", metadata: ["peer": "\(remoteAddress)"])
    }

    /// A new request while draining: 503, `Retry-After`, close (the machine is closing).
    func answerDraining() {
        appendProblem(.serviceUnavailable, detail: "the server is shutting down",
                      headers: ["Retry-After": String(shared.configuration.drainRetryAfterSeconds)])
    }

    /// A body that would pass the server's budget for bodies in flight: 503, `Retry-After`,
    /// close, the body unread (the machine is closing; what arrives meanwhile is dropped).
    func answerBodyBudgetFull() {
        io.dropInput()
        runtime.loop.counters.requests.wrappingAdd(1, ordering: .relaxed)
        appendProblem(.serviceUnavailable, detail: "the server is receiving too many request bodies at once; retry shortly",
                      headers: ["Retry-After": "1"])
    }

    /// A problem+json answer after which the connection closes.
    private func appendProblem(_ status: HTTPStatus, detail: String, headers extraHeaders: HTTPHeaders) {
        var problem = ProblemJSON(status: status, detail: detail)
        var headers = extraHeaders
        shared.responder.completeServerProblem(&problem, headers: &headers)
        let payload = problem.bytes
        headers.set("Content-Type", ProblemJSON.contentType)
        ResponseHeadWriter.append(status: status, headers: headers,
                                  framing: .contentLength(payload.count), connection: .close,
                                  date: runtime.date.bytes, serverName: shared.serverName, into: &io.outbound)
        io.outbound.append(contentsOf: payload)
    }
}
