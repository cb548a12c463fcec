import Glibc

/// One accepted TCP connection and its HTTP/1.1 state machine. Owned by one loop (`LoopRuntime`)
/// and touched only on that loop's thread; other threads reach it through loop tasks that look
/// it up by `token`, so it needs no lock.
///
/// Phases: `awaitingHead` (idle or reading a head) → `readingBody` → back to `awaitingHead`
/// once the answer is queued, or `streaming` while a streamed body is open, or `webSocket`
/// after an upgrade. `closingAfterFlush` → `lingering` → `closed` ends it gracefully: the last
/// answer is written, the write side shut down, and the input read and dropped for a bounded
/// time so the peer sees the answer rather than a reset.
final class HTTPConnection {
    enum Phase { case awaitingHead, readingBody, streaming, webSocket, closingAfterFlush, lingering, closed }
    enum DeadlineKind { case none, head, idle, body, write, linger, tlsHandshake, webSocketPing, webSocketPong }

    let fd: Int32
    /// (serial << 32 | fd): names this connection in epoll events, timers and loop tasks, so a
    /// stale event for a reused descriptor never reaches the wrong connection.
    let token: UInt64
    /// The runtime outlives its connections (it closes them all before it ends), so the
    /// reference needs no counting.
    unowned(unsafe) let runtime: LoopRuntime
    let shared: ServerShared

    var phase = Phase.awaitingHead
    var parser: HTTPHeadParser

    /// Received bytes not consumed yet, from `inboundStart` (empty on the fast path: requests
    /// are parsed straight from the loop's read buffer).
    var inbound: [UInt8] = []
    var inboundStart = 0
    /// Bytes queued for the socket, from `outboundStart`.
    var outbound: [UInt8] = []
    var outboundStart = 0
    /// The epoll interest currently registered.
    var interest: UInt32 = LinuxCalls.epollIn | LinuxCalls.epollRdHup

    // Timers: one deadline at a time, derived from the phase by `refreshDeadline`.
    var deadline: UInt64 = .max
    var deadlineKind = DeadlineKind.none
    /// The deadline of this connection's entry in the loop's timer heap (.max: none).
    var armedDeadline: UInt64 = .max
    /// When the current request's first byte arrived (.max: no request under way).
    var headStartedAt: UInt64
    var idleSince: UInt64
    var bodyStartedAt: UInt64 = 0
    var lastWriteProgress: UInt64 = 0
    var lingerStartedAt: UInt64 = 0

    /// The peer shut down its sending side (EOF): no further request can arrive.
    var peerClosedInput = false
    /// Answer what is in flight, then close (drain, errors).
    var closeAfterResponse = false
    /// Parsing stopped because too many answers sat unread; resumes once they drain.
    var inputStalled = false

    // The request whose body is being read.
    var currentHead: HTTPRequestHead?
    var bodyRemaining = 0
    var bodyLimit = 0
    var body: [UInt8] = []
    var chunkedDecoder: ChunkedBodyDecoder?

    // The streamed response in progress.
    var stream: ConnectionStreamWriter?
    var streamIsChunked = true
    var streamKeepAlive = false
    var streamEncoder: GzipStreamEncoder?

    // After a WebSocket upgrade.
    var webSocket: WebSocketChannel?

    // TLS: plaintext `outbound` is encrypted into `tlsOutbound` at flush time.
    var tls: TLSSession?
    var tlsOutbound: [UInt8] = []
    var tlsOutboundStart = 0
    let acceptedAt: UInt64

    private var remoteAddressCache: String?

    init(fd: Int32, token: UInt64, runtime: LoopRuntime) {
        self.fd = fd
        self.token = token
        self.runtime = runtime
        self.shared = runtime.shared
        parser = HTTPHeadParser(limits: runtime.shared.configuration.parserLimits)
        headStartedAt = runtime.now
        idleSince = runtime.now
        acceptedAt = runtime.now
    }

    var remoteAddress: String {
        if let remoteAddressCache { return remoteAddressCache }
        let text = PeerAddress.describePeer(of: fd)
        remoteAddressCache = text
        return text
    }

    var hasBufferedInput: Bool { inboundStart < inbound.count }
    var pendingOutputBytes: Int { outbound.count - outboundStart + tlsOutbound.count - tlsOutboundStart }
    var hasPendingOutput: Bool { outboundStart < outbound.count || tlsOutboundStart < tlsOutbound.count }

    /// Called once the connection is registered with epoll.
    func start() {
        refreshDeadline()
    }

    // MARK: events

    func handle(events: UInt32) {
        let readable = LinuxCalls.epollIn | LinuxCalls.epollRdHup | LinuxCalls.epollHup | LinuxCalls.epollErr
        if events & readable != 0 {
            if interest & LinuxCalls.epollIn == 0 {
                // Not reading (paused, or peer already closed): only a hang-up or error gets here.
                if events & (LinuxCalls.epollHup | LinuxCalls.epollErr) != 0 { closeNow(reason: .clientClosed) }
            } else {
                readFromSocket()
            }
        }
        finishTurn()
    }

    /// Ends every piece of work on this connection: write what is queued, re-arm the timer,
    /// adjust the epoll interest.
    func finishTurn() {
        guard phase != .closed else { return }
        if hasPendingOutput { flush() }
        while inputStalled, phase == .awaitingHead, pendingOutputBytes < shared.outboundBufferBytes {
            // The socket took enough of the answers: go on with the requests the peer pipelined
            // (each round consumes input, so this ends).
            inputStalled = false
            processBufferedInput()
            if hasPendingOutput { flush() }
        }
        if phase == .closingAfterFlush, !hasPendingOutput { beginLingering() }
        guard phase != .closed else { return }
        stream?.publishBacklog(pendingOutputBytes)
        webSocket?.session.publishBacklog(pendingOutputBytes)
        refreshDeadline()
        updateInterest()
    }

    /// Whether more input should be read now.
    var wantsInput: Bool {
        guard !peerClosedInput else { return false }
        switch phase {
        case .closed, .closingAfterFlush:
            return false
        case .lingering:
            return true
        case .awaitingHead, .readingBody:
            // Pipelined requests wait while the answers already queued are not being read.
            return pendingOutputBytes < shared.outboundBufferBytes
        case .streaming, .webSocket:
            // Keep reading to notice the peer leaving; buffer a bounded amount meanwhile.
            return inbound.count - inboundStart < LoopRuntime.readBufferSize
        }
    }

    func updateInterest() {
        var wanted: UInt32 = 0
        if wantsInput { wanted |= LinuxCalls.epollIn | LinuxCalls.epollRdHup }
        if hasPendingOutput { wanted |= LinuxCalls.epollOut }
        guard wanted != interest else { return }
        interest = wanted
        runtime.updateInterest(fd: fd, token: token, events: wanted)
    }

    // MARK: timers

    func refreshDeadline() {
        let timeouts = shared.timeouts
        let kind: DeadlineKind
        let at: UInt64
        if phase == .closed {
            (kind, at) = (.none, .max)
        } else if hasPendingOutput {
            (kind, at) = (.write, lastWriteProgress &+ timeouts.write)
        } else if let tls, !tls.isHandshakeComplete {
            (kind, at) = (.tlsHandshake, acceptedAt &+ timeouts.tlsHandshake)
        } else {
            switch phase {
            case .awaitingHead:
                if headStartedAt != .max {
                    (kind, at) = (.head, headStartedAt &+ timeouts.requestHead)
                } else {
                    (kind, at) = (.idle, idleSince &+ timeouts.idle)
                }
            case .readingBody:
                (kind, at) = (.body, bodyStartedAt &+ timeouts.body)
            case .lingering:
                (kind, at) = (.linger, lingerStartedAt &+ timeouts.linger)
            case .webSocket:
                // After our close frame the peer has the linger time to answer it; before, the
                // keep-alive (if any) decides.
                let sent = webSocket?.closeSentAt ?? .max
                if sent != .max {
                    (kind, at) = (.linger, sent &+ timeouts.linger)
                } else if let keepAlive = webSocket?.keepAliveDeadline {
                    (kind, at) = (keepAlive.pingDue ? .webSocketPing : .webSocketPong, keepAlive.at)
                } else {
                    (kind, at) = (.none, .max)
                }
            case .streaming, .closingAfterFlush, .closed:
                (kind, at) = (.none, .max)
            }
        }
        deadlineKind = kind
        deadline = at
        if at < armedDeadline { runtime.armTimer(for: self) }
    }

    /// The loop's timer found this connection's deadline passed.
    func deadlineReached() {
        switch deadlineKind {
        case .none:
            break
        case .head:
            // A silent connection is simply closed; a started request is told why.
            if hasBufferedInput {
                answerError(.requestTimeout, reason: "the request head did not arrive in time")
            } else {
                closeNow(reason: .clientClosed)
            }
        case .idle:
            // A request may be on its way as the timer fires (RFC 9112 §9.6): read what has
            // arrived first, and close only a connection that is still idle since the same instant.
            let idleStart = idleSince
            readFromSocket()
            if phase == .awaitingHead, idleSince == idleStart, headStartedAt == .max, !hasBufferedInput, !hasPendingOutput {
                closeNow(reason: .clientClosed)
            }
        case .linger, .tlsHandshake:
            closeNow(reason: .clientClosed)
        case .body:
            answerError(.requestTimeout, reason: "the request body did not arrive in time")
        case .write:
            closeNow(reason: .writeTimeout)
        case .webSocketPing:
            webSocketKeepAliveDue(pingDue: true)
        case .webSocketPong:
            webSocketKeepAliveDue(pingDue: false)
        }
        finishTurn()
    }

    // MARK: closing

    /// Starts the graceful end once everything queued is written: half-close, then read and
    /// drop input until the peer closes or the linger time passes.
    func beginLingering() {
        guard phase != .closed else { return }
        if peerClosedInput {
            closeNow(reason: .clientClosed)
            return
        }
        if let tls {
            // close_notify first, best effort: the socket already took everything else.
            tls.shutdown()
            tls.takeCiphertext(into: &tlsOutbound)
            if tlsOutboundStart < tlsOutbound.count, writeToSocket(&tlsOutbound, &tlsOutboundStart) == .failed {
                closeNow(reason: .clientClosed)
                return
            }
        }
        shutdown(fd, Int32(SHUT_WR))
        phase = .lingering
        lingerStartedAt = runtime.now
        inbound = []
        inboundStart = 0
    }

    /// Closes the socket at once and tells whoever listens (stream `onClose`).
    func closeNow(reason: StreamCloseReason) {
        guard phase != .closed else { return }
        phase = .closed
        close(fd)
        inbound = []
        outbound = []
        inboundStart = 0
        outboundStart = 0
        currentHead = nil
        body = []
        tlsOutbound = []
        tls = nil
        streamEncoder = nil
        if let stream {
            self.stream = nil
            // StreamCloseReason.serverShutdown promises that onShutdown handlers ran first.
            if reason == .serverShutdown { stream.signalShutdown() }
            stream.streamEnded(reason)
        }
        if webSocket != nil {
            reportWebSocketClose()
            webSocket = nil
        }
        // Last: this may complete a drain, whose caller may rely on the handlers above having run.
        runtime.forget(self)
    }

    /// The server began draining (accepting has stopped).
    func serverDraining() {
        closeAfterResponse = true
        // Bytes may have arrived since the last turn: a request already on its way is not idle.
        if phase == .awaitingHead, !hasBufferedInput, !hasPendingOutput, interest & LinuxCalls.epollIn != 0 {
            readFromSocket()
        }
        switch phase {
        case .awaitingHead where !hasBufferedInput && !hasPendingOutput:
            closeNow(reason: .serverShutdown)
        case .streaming:
            stream?.signalShutdown()
        case .webSocket:
            webSocket?.session.requestClose(code: WebSocketCloseCode.goingAway, reason: "server shutting down")
        default:
            break
        }
        finishTurn()
    }
}
