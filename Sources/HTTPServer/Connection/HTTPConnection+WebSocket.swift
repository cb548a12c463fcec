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
                guard queueControlReply(frame, channel) else { return }
            case .closeConnection(let code):
                channel.closeCode = code
                _ = machine.endWebSocket()
                channel.reportClose()
                return
            }
        }
    }

    /// A control frame the protocol answers with: a pong, or the reply to the peer's close.
    /// Pongs count against the outbound bound like data (a peer that keeps the bound full is
    /// closed with 1008), and at most one is owed at a time: while one waits unsent, later
    /// pings go unanswered (RFC 6455 §5.5.3 lets an endpoint answer only some of several
    /// pings), so a ping flood from a peer that does not read costs nothing. Returns false when
    /// the connection is being closed instead.
    private func queueControlReply(_ frame: [UInt8], _ channel: WebSocketChannel) -> Bool {
        let isPong = frame.first.map { WebSocketFrameCodec.Opcode(rawValue: $0 & 0x0F) == .pong } ?? false
        guard isPong else {
            io.outbound.append(contentsOf: frame)
            return true
        }
        if channel.pongOwed { return true }
        let pending = io.pendingOutputBytes
        guard pending == 0 || pending &+ frame.count <= shared.outboundBufferBytes else {
            let close = channel.machine.encodeClose(code: WebSocketCloseCode.policyViolation, reason: "outbound bound exceeded")
            if !close.isEmpty { io.outbound.append(contentsOf: close) }
            channel.closeCode = channel.closeCode ?? WebSocketCloseCode.policyViolation
            channel.closeSentAt = runtime.now
            return false
        }
        io.outbound.append(contentsOf: frame)
        channel.pongOwed = true
        return true
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
