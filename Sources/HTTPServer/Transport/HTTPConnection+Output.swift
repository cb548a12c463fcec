import Glibc
import Logging

/// Answering: probes, the responder, errors; serialising into `outbound`; writing to the socket.
extension HTTPConnection {
    /// A complete request: probes first (the fastest path), then the responder.
    func dispatch(_ head: HTTPRequestHead, body: [UInt8]) {
        runtime.loop.counters.requests.wrappingAdd(1, ordering: .relaxed)
        if shared.probesEnabled, head.method == .get || head.method == .head,
           let probe = ProbeResponses.match(head.target) {
            let keepAlive = keepsAlive(head)
            _ = shared.probes.append(probe.probe, verbose: probe.verbose, headOnly: head.method == .head,
                                     phase: shared.phase, connection: connectionField(head, keepAlive: keepAlive),
                                     date: runtime.date.bytes, into: &outbound)
            finishResponse(keepAlive: keepAlive)
            return
        }
        let request = HTTPRequest(method: head.method, target: head.target, version: head.version,
                                  headers: head.headers, body: body, remoteAddress: remoteAddress, isSecure: tls != nil)
        let response = shared.responder.respond(to: request)
        send(response, to: head)
    }

    func isProbe(_ head: HTTPRequestHead) -> Bool {
        shared.probesEnabled && (head.method == .get || head.method == .head)
            && ProbeResponses.match(head.target) != nil
    }

    /// Whether the connection stays open after answering `head`.
    func keepsAlive(_ head: HTTPRequestHead) -> Bool {
        head.keepAlive && !closeAfterResponse && !peerClosedInput
            && shared.phase.rawValue < ServerPhase.draining.rawValue
    }

    func connectionField(_ head: HTTPRequestHead, keepAlive: Bool) -> ResponseHeadWriter.ConnectionField {
        guard keepAlive else { return .close }
        return head.version == .http1_0 ? .keepAlive : .persistent
    }

    /// Serialises the responder's answer.
    func send(_ proposed: HTTPResponse, to head: HTTPRequestHead) {
        var response = proposed
        if let failure = ResponseHeadWriter.validationFailure(status: response.status, headers: response.headers) {
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
                                      date: date, serverName: serverName, into: &outbound)
            finishResponse(keepAlive: keepAlive)
        case .bytes(let bytes):
            outbound.reserveCapacity(outbound.count + bytes.count + 256)
            ResponseHeadWriter.append(status: response.status, headers: response.headers,
                                      framing: bodyless ? .none : .contentLength(bytes.count),
                                      connection: connectionField(head, keepAlive: keepAlive),
                                      date: date, serverName: serverName, into: &outbound)
            if !headOnly, !bodyless { outbound.append(contentsOf: bytes) }
            finishResponse(keepAlive: keepAlive)
        case .stream(let producer):
            // HTTP/1.0 has no chunked coding: the body then ends when the connection closes.
            let chunked = head.version != .http1_0
            if !chunked { keepAlive = false }
            let encoder = headOnly || bodyless ? nil : streamEncoderIfWanted(&response.headers, for: head)
            ResponseHeadWriter.append(status: response.status, headers: response.headers,
                                      framing: chunked && !bodyless ? .chunked : .none,
                                      connection: connectionField(head, keepAlive: keepAlive),
                                      date: date, serverName: serverName, into: &outbound)
            if headOnly || bodyless {
                producer.notStarted()
                finishResponse(keepAlive: keepAlive)
            } else {
                streamEncoder = encoder
                startStream(producer, chunked: chunked, keepAlive: keepAlive)
            }
        case .webSocket(let upgrade):
            acceptWebSocket(upgrade, head: head, response: response)
        }
    }

    /// The answer to the current request is queued.
    func finishResponse(keepAlive: Bool) {
        if keepAlive {
            phase = .awaitingHead
            headStartedAt = .max
            idleSince = runtime.now
        } else {
            phase = .closingAfterFlush
        }
    }

    /// Answers `status` with a problem+json body and closes. Used for parse errors, limits and
    /// timeouts; the connection closes because its framing can no longer be trusted.
    func answerError(_ status: HTTPStatus, reason: String, extraHeaders: HTTPHeaders = [:]) {
        switch phase {
        case .streaming, .webSocket, .lingering, .closed:
            closeNow(reason: .clientClosed)  // an answer is already under way: nothing can follow it
            return
        case .awaitingHead, .readingBody, .closingAfterFlush:
            break
        }
        inbound = []
        inboundStart = 0
        queueProblemAndClose(status, detail: reason, headers: extraHeaders)
        runtime.loop.counters.requests.wrappingAdd(1, ordering: .relaxed)
        // Not an access line (the responder's access log never sees this request): a diagnostic.
        runtime.logger.debug("rejected request: \(status.code) \(reason)", metadata: ["peer": "\(remoteAddress)"])
    }

    /// A new request while draining: 503, `Retry-After`, close.
    func answerDraining() {
        queueProblemAndClose(.serviceUnavailable, detail: "the server is shutting down",
                             headers: ["Retry-After": String(shared.configuration.drainRetryAfterSeconds)])
    }

    /// Drops the request under way and queues a problem+json answer after which the connection closes.
    private func queueProblemAndClose(_ status: HTTPStatus, detail: String, headers extraHeaders: HTTPHeaders) {
        currentHead = nil
        chunkedDecoder = nil
        body = []
        let payload = ProblemJSON(status: status, detail: detail).bytes
        var headers = extraHeaders
        headers.set("Content-Type", ProblemJSON.contentType)
        ResponseHeadWriter.append(status: status, headers: headers,
                                  framing: .contentLength(payload.count), connection: .close,
                                  date: runtime.date.bytes, serverName: shared.serverName, into: &outbound)
        outbound.append(contentsOf: payload)
        phase = .closingAfterFlush
    }

    /// Writes queued bytes until the socket would block (through TLS when it is on).
    func flush() {
        let outcome: WriteOutcome
        if let tls {
            if outboundStart < outbound.count, tls.isHandshakeComplete {
                let from = outboundStart
                let failure = outbound.withUnsafeBytes { bytes -> TLSError? in
                    do throws(TLSError) {
                        try tls.writePlaintext(UnsafeRawBufferPointer(rebasing: bytes[from...]))
                        return nil
                    } catch {
                        return error
                    }
                }
                if let failure {
                    runtime.logger.debug("TLS write failed: \(failure)")
                    closeNow(reason: .clientClosed)
                    return
                }
                outboundStart = outbound.count
            }
            tls.takeCiphertext(into: &tlsOutbound)
            if outboundStart >= outbound.count { releaseOutbound() }
            outcome = writeToSocket(&tlsOutbound, &tlsOutboundStart)
            if outcome == .done { Self.release(&tlsOutbound, &tlsOutboundStart) }
        } else {
            outcome = writeToSocket(&outbound, &outboundStart)
            if outcome == .done { releaseOutbound() }
        }
        switch outcome {
        case .failed: closeNow(reason: .clientClosed)
        case .blocked: break
        case .done: if phase == .closingAfterFlush, !hasPendingOutput { beginLingering() }
        }
    }

    private func releaseOutbound() { Self.release(&outbound, &outboundStart) }

    /// Empties a fully written buffer: keeps a modest one for the next answer, gives back what a
    /// large body needed.
    private static func release(_ buffer: inout [UInt8], _ start: inout Int) {
        if buffer.capacity > 64 * 1024 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
        start = 0
    }

    enum WriteOutcome { case done, blocked, failed }

    /// Sends `buffer[start...]` until done or the socket would block; advances `start`.
    func writeToSocket(_ buffer: inout [UInt8], _ start: inout Int) -> WriteOutcome {
        let total = buffer.count
        while start < total {
            let from = start
            let written = buffer.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return 0 }
                return Glibc.send(fd, base + from, total - from, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                start += written
                lastWriteProgress = runtime.now
                continue
            }
            let error = errno
            if written < 0, error == EINTR { continue }
            if written < 0, error == EAGAIN || error == EWOULDBLOCK {
                if deadlineKind != .write { lastWriteProgress = runtime.now }
                // Compact a large, mostly written buffer.
                if start > 64 * 1024, start > buffer.count / 2 {
                    buffer.removeSubrange(0..<start)
                    start = 0
                }
                return .blocked
            }
            return .failed
        }
        return .done
    }
}
