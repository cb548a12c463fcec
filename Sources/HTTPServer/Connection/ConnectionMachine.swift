/// The HTTP/1.1 connection's state machine: every transition of `ConnectionState`, as functions
/// of their inputs (bytes, the time, facts about the output), returning what the I/O code must
/// do. It touches no socket, reads no clock and calls no application code, so each transition
/// can be tested on its own (see Tests/HTTPServerTests/ConnectionTests).
struct ConnectionMachine {
    /// Changed only by the transitions below and in the extensions (Input, Deadline).
    var state: ConnectionState
    let limits: HTTPParserLimits
    /// Bytes queued for the socket from which no further request is parsed (back-pressure).
    let outboundBound: Int
    /// Whether the built-in probes answer (they are still served while draining).
    let probesEnabled: Bool
    /// The server's bound on request-body bytes buffered across all connections.
    let bodyBudget: RequestBodyBudget

    /// A new connection: its head timer runs from the accept. `bodyBudget`: the server's (the
    /// default, without a limit, suits a machine driven alone).
    init(limits: HTTPParserLimits, outboundBound: Int, probesEnabled: Bool, now: UInt64,
         bodyBudget: RequestBodyBudget = RequestBodyBudget(limit: 0)) {
        self.limits = limits
        self.outboundBound = outboundBound
        self.probesEnabled = probesEnabled
        self.bodyBudget = bodyBudget
        state = .readingHead(HeadState(limits: limits, startedAt: now, idleSince: now))
    }

    // MARK: answers

    /// The answer to the request just received is queued in full.
    mutating func responded(keepAlive: Bool, now: UInt64) {
        guard case .readingHead(let head) = state else { return }
        if keepAlive {
            head.startedAt = .max
            head.idleSince = now
        } else {
            state = .closingAfterFlush(peerGone: false)
        }
    }

    /// The answer's head is queued and its body will be streamed.
    mutating func startStreaming(_ stream: StreamState) {
        // A request is answered only right after it was received, in `readingHead`.
        guard case .readingHead = state else { return assertionFailure("a stream started in \(state)") }
        state = .streaming(stream)
    }

    /// The producer finished its stream (its last bytes are queued). Back to reading heads when
    /// the connection may stay open; `inputWaiting`: requests were pipelined behind the stream.
    mutating func finishStream(draining: Bool, inputWaiting: Bool, now: UInt64) -> StreamState? {
        guard case .streaming(let stream) = state else { return nil }
        if stream.chunked, stream.keepAlive, !draining {
            state = .readingHead(HeadState(limits: limits, startedAt: .max, idleSince: now, inputWaiting: inputWaiting))
        } else {
            state = .closingAfterFlush(peerGone: false)
        }
        return stream
    }

    /// The responder answered with a deferred response: wait for it. No further request is
    /// parsed meanwhile (see `receive`), and neither head nor idle timer runs.
    mutating func awaitResponse(_ deferred: DeferredState) {
        // A request is answered only right after it was received, in `readingHead`.
        guard case .readingHead = state else { return assertionFailure("a deferred response in \(state)") }
        state = .awaitingResponse(deferred)
    }

    /// The deferred response came (or the server answers for it): back to the head state it
    /// interrupted, where the answer is sent like any other. `inputWaiting`: requests were
    /// pipelined behind it.
    mutating func stopAwaiting(inputWaiting: Bool) -> DeferredState? {
        guard case .awaitingResponse(let deferred) = state else { return nil }
        if inputWaiting { deferred.headState.inputWaiting = true }
        state = .readingHead(deferred.headState)
        return deferred
    }

    /// The 101 is queued: frames from now on.
    mutating func upgrade(_ channel: WebSocketChannel) {
        guard case .readingHead = state else { return assertionFailure("an upgrade in \(state)") }
        state = .webSocket(channel)
    }

    /// The close handshake completed or the WebSocket failed: write what is queued, then close
    /// (the server closes the TCP connection first, RFC 6455 §7.1.1).
    mutating func endWebSocket() -> WebSocketChannel? {
        guard case .webSocket(let channel) = state else { return nil }
        state = .closingAfterFlush(peerGone: false)
        return channel
    }

    /// The request under way cannot be answered normally (a bad or late request, a body that
    /// does not decode). true: an error answer is to be queued, then the connection closes
    /// after it; false: an answer is already under way (or the connection is done), so nothing
    /// can follow it and the connection must close at once.
    mutating func abandonRequest() -> Bool {
        switch state {
        case .readingHead, .readingBody:
            state = .closingAfterFlush(peerGone: false)
            return true
        case .closingAfterFlush:
            return true
        case .streaming, .awaitingResponse, .webSocket, .lingering, .closed:
            return false
        }
    }

    // MARK: the end

    /// The peer closed its sending side. true: close now; false: write what is queued first.
    mutating func peerClosed(hasPendingOutput: Bool) -> Bool {
        switch state {
        case .streaming, .awaitingResponse, .webSocket, .lingering, .readingBody:
            // While an answer is being streamed or awaited, the peer leaving ends the exchange.
            return true
        case .readingHead, .closingAfterFlush:
            guard hasPendingOutput else { return true }
            state = .closingAfterFlush(peerGone: true)
            return false
        case .closed:
            return false
        }
    }

    enum DrainedStep: Equatable {
        /// Nothing to do: the connection goes on.
        case none
        /// Shut the write side and read until the peer closes (the state is `lingering` now).
        case linger
        /// Close the socket now.
        case close
    }

    /// The socket took everything queued.
    mutating func outputDrained(now: UInt64) -> DrainedStep {
        guard case .closingAfterFlush(let peerGone) = state else { return .none }
        if peerGone { return .close }
        state = .lingering(since: now)
        return .linger
    }

    enum DrainAction {
        case none
        /// Close an idle connection at once.
        case close
        /// Tell the stream's producer (`onShutdown`): it may write a last event and finish.
        case signalStream(ConnectionStreamWriter)
        /// Start the WebSocket close handshake with 1001.
        case closeWebSocket(WebSocketChannel)
    }

    /// The server began draining: what this connection must do about it (requests already
    /// under way finish; new ones are refused as they complete).
    func drainAction(hasBufferedInput: Bool, hasPendingOutput: Bool) -> DrainAction {
        switch state {
        case .readingHead:
            return hasBufferedInput || hasPendingOutput ? .none : .close
        case .streaming(let stream):
            return .signalStream(stream.writer)
        case .webSocket(let channel):
            return .closeWebSocket(channel)
        case .readingBody, .awaitingResponse, .closingAfterFlush, .lingering, .closed:
            // A body being read and a deferred answer finish normally (up to the drain deadline).
            return .none
        }
    }

    /// Closes the machine; returns the state it was in, whose data the caller ends (a stream's
    /// `onClose`, a WebSocket's `onClose`).
    mutating func close() -> ConnectionState {
        let previous = state
        state = .closed
        return previous
    }

    // MARK: questions

    /// Whether more input should be read now. `backlog`: bytes queued for the socket;
    /// `buffered`: received bytes not consumed yet.
    func wantsInput(backlog: Int, buffered: Int, readBufferSize: Int) -> Bool {
        switch state {
        case .closed, .closingAfterFlush:
            return false
        case .lingering:
            return true
        case .readingHead, .readingBody, .webSocket:
            // Pipelined requests, and a WebSocket peer's pings (each wants a pong), wait while
            // the answers already queued are not being read: control frames count too.
            return backlog < outboundBound
        case .streaming, .awaitingResponse:
            // Keep reading to notice the peer leaving; buffer a bounded amount meanwhile.
            return buffered < readBufferSize
        }
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }
}
