import Glibc

/// Reading: socket → loop read buffer (→ TLS) → the machine → answers.
extension HTTPConnection {
    func readFromSocket() {
        let buffer = runtime.readBuffer
        var rounds = 0
        while !machine.isClosed, wantsInput, rounds < 8 {
            let received = recv(fd, buffer.baseAddress, buffer.count, 0)
            if received > 0 {
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<received])
                if let tls = io.tls { ingestCiphertext(bytes, tls) } else { ingest(bytes) }
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
            io.sendTLSAlert(fd: fd)
            runtime.logger.debug("TLS failure from \(remoteAddress): \(error)")
            closeNow(reason: .clientClosed)
            return
        }
        // Handshake records (and anything else OpenSSL wants to say) go out with this turn.
        io.takeTLSRecords()
        if !plaintext.isEmpty {
            plaintext.withUnsafeBytes { ingest($0) }
        }
        if status == .closed || tls.isClosedByPeer, !machine.isClosed { peerClosed() }
    }

    /// The peer closed its sending side: answer what is complete, then close.
    private func peerClosed() {
        if machine.peerClosed(hasPendingOutput: io.hasPendingOutput) { closeNow(reason: .clientClosed) }
    }

    /// New bytes from the socket.
    func ingest(_ bytes: UnsafeRawBufferPointer) {
        if !io.hasBufferedInput {
            // Fast path: parse straight from the loop's buffer; keep only an unconsumed rest.
            let used = process(bytes)
            if used < bytes.count, machine.keepsUnconsumedInput {
                io.keepUnconsumed(UnsafeRawBufferPointer(rebasing: bytes[used...]))
            }
        } else {
            io.appendInput(bytes)
            processBufferedInput()
        }
    }

    /// Runs the machine over the buffered input (also after a stream ends or answers drain,
    /// for requests that were pipelined behind them).
    func processBufferedInput() {
        guard io.hasBufferedInput else { return }
        // Taken out, so nothing reached from `process` can touch it meanwhile.
        let (data, start) = io.takeInput()
        let used = data.withUnsafeBytes { process(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        let next = start + used
        guard next < data.count, machine.keepsUnconsumedInput else { return }
        io.returnInput(data, next: next)
    }

    /// Feeds `buffer` to the machine and performs what it asks, request after request; returns
    /// the bytes used.
    func process(_ buffer: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < buffer.count {
            let rest = UnsafeRawBufferPointer(rebasing: buffer[offset...])
            let shared = self.shared
            let step = machine.receive(rest, now: runtime.now, backlog: io.pendingOutputBytes, draining: shared.isDraining) { head in
                switch shared.responder.bodyHandling(method: head.method, path: HTTPConnection.path(of: head.target),
                                                     headers: head.headers) {
                case .read(let maxBytes): .read(limit: maxBytes ?? shared.configuration.maxBodyBytes)
                case .answerWithoutBody: .answerWithoutBody
                }
            }
            offset += step.consumed
            switch step.event {
            case .needMore, .stalled, .held:
                return offset
            case .skipped:
                continue
            case .dropped:
                return buffer.count
            case .request(let head, let body, let limit):
                answer(head, body: body, bodyLimit: limit)
            case .bodyStarted(let sendContinue):
                // `Expect: 100-continue`: the body is acceptable (checked before), so invite it.
                if sendContinue { ResponseHeadWriter.appendStatic("HTTP/1.1 100 Continue\r\n\r\n", to: &io.outbound) }
            case .reject(let status, let reason):
                queueRejection(status, reason: reason)
                return buffer.count
            case .refuseDraining:
                answerDraining()
                return buffer.count
            case .refuseBodyBudget:
                answerBodyBudgetFull()
                return buffer.count
            case .webSocket:
                // Bytes that arrived right behind the upgrade request belong to the WebSocket.
                webSocketReceived(rest)
                return buffer.count
            }
        }
        return offset
    }

    /// The path part of a target (before `?`).
    static func path(of target: String) -> String {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target }
        return String(target[..<mark])
    }
}
