/// WebSocket upgrades (RFC 6455): the handshake answer, then frames in both directions through
/// `WebSocketServerProtocol`.
extension HTTPConnection {
    func acceptWebSocket(_ upgrade: WebSocketUpgrade, head: HTTPRequestHead, response: HTTPResponse) {
        let accept: String
        switch WebSocketHandshake.validate(method: head.method, version: head.version, headers: head.headers) {
        case .failure(let refusal):
            upgrade.onRefused()
            answerError(refusal.status, reason: refusal.reason, extraHeaders: refusal.headers)
            return
        case .success(let value):
            accept = value
        }
        var headers = response.headers
        headers.remove("Upgrade")
        headers.set("Upgrade", "websocket")
        headers.set("Sec-WebSocket-Accept", accept)
        if let subprotocol = upgrade.subprotocol {
            guard WebSocketHandshake.offeredProtocols(head.headers).contains(subprotocol) else {
                runtime.logger.error("WebSocket upgrade selected subprotocol '\(subprotocol)' the client did not offer")
                upgrade.onRefused()
                answerError(.internalServerError, reason: "the server chose a subprotocol the client did not offer")
                return
            }
            headers.set("Sec-WebSocket-Protocol", subprotocol)
        }
        ResponseHeadWriter.append(status: .switchingProtocols, headers: headers, framing: .none, connection: .upgrade,
                                  date: runtime.date.bytes, serverName: shared.serverName, into: &outbound)
        let session = ConnectionWebSocketSession(loop: runtime.loop, connectionToken: token,
                                                 bound: shared.outboundBufferBytes)
        let machine = WebSocketServerProtocol(maxFrameBytes: upgrade.maxMessageBytes, maxMessageBytes: upgrade.maxMessageBytes)
        webSocket = WebSocketChannel(machine: machine, session: session, upgrade: upgrade, now: runtime.now)
        phase = .webSocket
        upgrade.onOpen(session)
        if closeAfterResponse || shared.phase.rawValue >= ServerPhase.draining.rawValue {
            session.requestClose(code: WebSocketCloseCode.goingAway, reason: "server shutting down")
        }
    }

    /// Bytes from the peer after the 101.
    func webSocketReceived(_ bytes: UnsafeRawBufferPointer) {
        guard let channel = webSocket, phase == .webSocket else { return }
        // Anything from the peer shows it is there: the keep-alive starts over.
        channel.lastHeardAt = runtime.now
        channel.pingSentAt = .max
        let actions = channel.machine.receive(bytes)
        for action in actions {
            switch action {
            case .deliver(let message):
                channel.upgrade.onMessage(channel.session, message)
            case .send(let frame):
                outbound.append(contentsOf: frame)
            case .closeConnection(let code):
                channel.closeCode = code
                channel.session.markEnded()
                reportWebSocketClose()
                // The server closes the TCP connection first (RFC 6455 §7.1.1).
                phase = .closingAfterFlush
                return
            }
        }
    }

    /// A frame the application sent on the loop thread. Dropped once the close handshake has
    /// begun, as queued frames are.
    func appendWebSocketFrame(_ frame: [UInt8]) {
        guard let channel = webSocket, !channel.machine.isClosing else { return }
        outbound.append(contentsOf: frame)
    }

    /// Loop task: the application queued frames or asked to close.
    func webSocketHasOutput() {
        guard let channel = webSocket, phase == .webSocket else { return }
        let batch = channel.session.takeBatch()
        if !channel.machine.isClosing {
            for frame in batch.frames { outbound.append(contentsOf: frame) }
        }
        if let request = batch.closeRequest {
            let frame = channel.machine.encodeClose(code: request.code, reason: request.reason)
            if !frame.isEmpty {
                outbound.append(contentsOf: frame)
                channel.closeCode = channel.closeCode ?? request.code
                channel.closeSentAt = runtime.now
            }
        }
        finishTurn()
    }

    /// Keep-alive deadline: send a ping, or, when the last one went unanswered for a whole
    /// interval, give the peer up (1006 to `onClose`: no close frame was exchanged).
    func webSocketKeepAliveDue(pingDue: Bool) {
        guard let channel = webSocket, phase == .webSocket else { return }
        if pingDue {
            let frame = channel.machine.encodePing(Array("keep-alive".utf8))
            if !frame.isEmpty { outbound.append(contentsOf: frame) }
            channel.pingSentAt = runtime.now
        } else {
            runtime.logger.debug("WebSocket peer \(remoteAddress) answered no ping: closing")
            closeNow(reason: .clientClosed)
        }
    }

    /// Calls the application's `onClose` once, with the code received or sent (1006 if none).
    func reportWebSocketClose() {
        guard let channel = webSocket, !channel.closeReported else { return }
        channel.closeReported = true
        channel.session.markEnded()
        channel.upgrade.onClose(channel.closeCode ?? WebSocketCloseCode.abnormalClosure)
    }
}
