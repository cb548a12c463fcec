import Glibc

/// Reading: socket → loop read buffer → parser → body → dispatch.
extension HTTPConnection {
    func readFromSocket() {
        let buffer = runtime.readBuffer
        var rounds = 0
        while phase != .closed, wantsInput, rounds < 8 {
            let received = recv(fd, buffer.baseAddress, buffer.count, 0)
            if received > 0 {
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<received])
                if let tls { ingestCiphertext(bytes, tls) } else { ingest(bytes) }
                if received < buffer.count { return }
                rounds += 1
                continue
            }
            if received == 0 {
                peerClosed()
                return
            }
            switch errno {
            case EAGAIN, EWOULDBLOCK: return
            case EINTR: continue
            default:
                closeNow(reason: .clientClosed)
                return
            }
        }
    }

    /// TLS: decrypt (running the handshake as needed), then handle the plaintext.
    private func ingestCiphertext(_ bytes: UnsafeRawBufferPointer, _ tls: TLSSession) {
        tls.receive(bytes)
        var plaintext = runtime.takeTLSScratch()
        defer { runtime.returnTLSScratch(plaintext) }
        let status: TLSReadStatus
        do {
            status = try tls.readPlaintext(into: &plaintext)
        } catch {
            // Send the alert OpenSSL queued, best effort, and give up on the connection.
            tls.takeCiphertext(into: &tlsOutbound)
            _ = writeToSocket(&tlsOutbound, &tlsOutboundStart)
            runtime.logger.debug("TLS failure from \(remoteAddress): \(error)")
            closeNow(reason: .clientClosed)
            return
        }
        // Handshake records (and anything else OpenSSL wants to say) go out with this turn.
        tls.takeCiphertext(into: &tlsOutbound)
        if !plaintext.isEmpty {
            plaintext.withUnsafeBytes { ingest($0) }
        }
        if status == .closed || tls.isClosedByPeer, phase != .closed { peerClosed() }
    }

    /// The peer closed its sending side: answer what is complete, then close.
    private func peerClosed() {
        peerClosedInput = true
        switch phase {
        case .streaming, .webSocket, .lingering, .readingBody:
            closeNow(reason: .clientClosed)
        case .awaitingHead, .closingAfterFlush:
            if hasPendingOutput {
                phase = .closingAfterFlush
            } else {
                closeNow(reason: .clientClosed)
            }
        case .closed:
            break
        }
    }

    /// New bytes from the socket.
    func ingest(_ bytes: UnsafeRawBufferPointer) {
        switch phase {
        case .lingering, .closingAfterFlush, .closed:
            return  // after the final answer, input is read only to be dropped
        case .webSocket:
            webSocketReceived(bytes)
            return
        case .awaitingHead, .readingBody, .streaming:
            break
        }
        if phase == .awaitingHead, headStartedAt == .max { headStartedAt = runtime.now }
        if !hasBufferedInput {
            // Fast path: parse straight from the loop's buffer; keep only an incomplete rest.
            let used = process(bytes)
            if used < bytes.count, acceptsMoreRequestBytes {
                inbound.removeAll(keepingCapacity: true)
                inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used...]))
                inboundStart = 0
            }
        } else {
            inbound.append(contentsOf: bytes)
            processBufferedInput()
        }
    }

    var acceptsMoreRequestBytes: Bool {
        switch phase {
        case .awaitingHead, .readingBody, .streaming: true
        case .webSocket, .closingAfterFlush, .lingering, .closed: false
        }
    }

    /// Runs the state machine over the buffered input (also after a streamed answer ends, for
    /// requests that were pipelined behind it).
    func processBufferedInput() {
        guard hasBufferedInput else { return }
        // Take the buffer out so nothing reached from `process` can touch it meanwhile.
        var data = inbound
        inbound = []
        let start = inboundStart
        inboundStart = 0
        let used = data.withUnsafeBytes { process(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        let next = start + used
        guard next < data.count, acceptsMoreRequestBytes else { return }
        if phase == .webSocket { return }
        if next > 0, next >= data.count / 2 {
            data.removeSubrange(0..<next)
            inboundStart = 0
        } else {
            inboundStart = next
        }
        inbound = data
        if phase == .awaitingHead, headStartedAt == .max { headStartedAt = runtime.now }
    }

    /// Parses and handles as many requests as `buffer` holds; returns the bytes used.
    func process(_ buffer: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < buffer.count {
            switch phase {
            case .awaitingHead:
                // Pipelined requests wait while too many answers sit unread.
                guard pendingOutputBytes < shared.outboundBufferBytes else {
                    inputStalled = true
                    return offset
                }
                let parsed: (head: HTTPRequestHead, consumed: Int)?
                do {
                    parsed = try parser.parse(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                } catch {
                    answerError(error.status, reason: error.reason)
                    return buffer.count
                }
                guard let parsed else { return offset }
                offset += parsed.consumed
                beginRequest(parsed.head)
                if phase == .awaitingHead {
                    headStartedAt = offset < buffer.count ? runtime.now : .max
                }
            case .readingBody:
                offset += readBody(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
            case .webSocket:
                // Bytes that arrived right behind the upgrade request belong to the WebSocket.
                webSocketReceived(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                return buffer.count
            case .streaming, .closingAfterFlush, .lingering, .closed:
                return offset
            }
        }
        return offset
    }

    /// A complete head arrived: answer it, or start reading its body.
    private func beginRequest(_ head: HTTPRequestHead) {
        // Requests whose head completes once accepting stopped are refused; probes still answer,
        // and requests already past their head (reading a body) finish normally.
        if shared.phase.rawValue >= ServerPhase.draining.rawValue, !isProbe(head) {
            answerDraining()
            return
        }
        if head.framing == .none {
            dispatch(head, body: [])
            return
        }
        let limit = shared.responder.maxBodySize(method: head.method, path: HTTPConnection.path(of: head.target))
            ?? shared.configuration.maxBodyBytes
        bodyLimit = limit
        switch head.framing {
        case .none:
            dispatch(head, body: [])
        case .contentLength(let length):
            guard length <= limit else {
                answerError(.contentTooLarge, reason: "the body is larger than \(limit) bytes")
                return
            }
            guard length > 0 else {
                dispatch(head, body: [])
                return
            }
            sendContinueIfExpected(head)
            bodyRemaining = length
            body = []
            // Reserve what was announced, but not more than a modest amount up front: the limit
            // may be large and the bytes may never come.
            body.reserveCapacity(min(length, 1 << 20))
            chunkedDecoder = nil
            startBody(head)
        case .chunked:
            sendContinueIfExpected(head)
            body = []
            chunkedDecoder = ChunkedBodyDecoder(maxBodyBytes: limit, limits: shared.configuration.parserLimits)
            startBody(head)
        }
    }

    private func startBody(_ head: HTTPRequestHead) {
        currentHead = head
        phase = .readingBody
        bodyStartedAt = runtime.now
    }

    /// `Expect: 100-continue`: the body is acceptable (checked before), so invite it.
    private func sendContinueIfExpected(_ head: HTTPRequestHead) {
        guard head.expectsContinue, head.version == .http1_1 else { return }
        ResponseHeadWriter.appendStatic("HTTP/1.1 100 Continue\r\n\r\n", to: &outbound)
    }

    /// Consumes body bytes; returns how many were used.
    private func readBody(_ buffer: UnsafeRawBufferPointer) -> Int {
        if chunkedDecoder != nil {
            let used: Int
            do {
                used = try chunkedDecoder?.decode(buffer, into: &body) ?? buffer.count
            } catch {
                answerError(error.status, reason: error.reason)
                return buffer.count
            }
            if chunkedDecoder?.isComplete == true {
                chunkedDecoder = nil
                completeBody()
            }
            return used
        }
        let take = min(bodyRemaining, buffer.count)
        body.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<take]))
        bodyRemaining -= take
        if bodyRemaining == 0 { completeBody() }
        return take
    }

    private func completeBody() {
        guard var head = currentHead else { return }
        currentHead = nil
        phase = .awaitingHead
        let received = body
        body = []
        guard let decoded = decodeRequestBody(&head, received, limit: bodyLimit) else { return }
        dispatch(head, body: decoded)
    }

    /// The path part of a target (before `?`).
    static func path(of target: String) -> String {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target }
        return String(target[..<mark])
    }
}
