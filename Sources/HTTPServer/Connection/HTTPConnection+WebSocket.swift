/// WebSocket upgrades (RFC 6455): the handshake answer, then frames in both directions through
/// `WebSocketServerProtocol`.
extension HTTPConnection {
    /// Answers the upgrade with 101 and hands the application its session, or queues an error
    /// answer when the handshake is refused.
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
                                  date: runtime.date.bytes, serverName: shared.serverName, into: &io.outbound)
        let outbox = ConnectionOutbox(loop: runtime.loop, token: token, bound: shared.outboundBufferBytes)
        let session = ConnectionWebSocketSession(outbox: outbox)
        let protocolMachine = WebSocketServerProtocol(maxFrameBytes: upgrade.maxMessageBytes, maxMessageBytes: upgrade.maxMessageBytes)
        machine.upgrade(WebSocketChannel(machine: protocolMachine, session: session, upgrade: upgrade, now: runtime.now))
        upgrade.onOpen(session)
        if shared.isDraining {
            session.close(code: WebSocketCloseCode.goingAway, reason: "server shutting down")
        }
    }

    /// Bytes from the peer after the 101.
    func webSocketReceived(_ bytes: UnsafeRawBufferPointer) {
        guard case .webSocket(let channel) = machine.state else { return }
        channel.heardFromPeer(at: runtime.now)
        for action in channel.machine.receive(bytes) {
            switch action {
            case .deliver(let message):
                channel.upgrade.onMessage(channel.session, message)
            case .send(let frame):
                io.outbound.append(contentsOf: frame)
            case .closeConnection(let code):
                channel.closeCode = code
                _ = machine.endWebSocket()
                channel.reportClose()
                return
            }
        }
    }

    /// Frames the application queued from other threads, and the close it asked for.
    func applyWebSocketBatch(_ channel: WebSocketChannel) {
        let batch = channel.session.outbox.takeBatch()
        if !channel.machine.isClosing {
            for frame in batch.chunks { io.outbound.append(contentsOf: frame) }
        }
        guard case .close(let code, let reason)? = batch.end else { return }
        let frame = channel.machine.encodeClose(code: code, reason: reason)
        guard !frame.isEmpty else { return }
        io.outbound.append(contentsOf: frame)
        channel.closeCode = channel.closeCode ?? code
        channel.closeSentAt = runtime.now
    }

    /// Keep-alive: the peer was quiet for an interval; ask whether it is still there.
    func sendKeepAlivePing() {
        guard case .webSocket(let channel) = machine.state else { return }
        let frame = channel.machine.encodePing(Array("keep-alive".utf8))
        if !frame.isEmpty { io.outbound.append(contentsOf: frame) }
        channel.pingSentAt = runtime.now
    }
}
