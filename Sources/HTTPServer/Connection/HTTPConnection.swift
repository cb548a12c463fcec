import Glibc
import Platform

/// One accepted TCP connection: the I/O around its `ConnectionMachine`. Owned by one loop
/// (`LoopRuntime`) and touched only on that loop's thread; other threads reach it through loop
/// tasks that look it up by `token`, so it needs no lock.
///
/// Every piece of work ends with `finishTurn`: apply what the application queued, write, go on
/// with input that waited, re-arm the timer, adjust the epoll interest. The loop's reactor calls
/// it as the handler of its socket (readiness and the connection's timer).
final class HTTPConnection: ReactorHandler {
    let fd: Int32
    /// The peer's address, counted by the server's per-peer cap until the connection closes.
    let peer: PeerKey
    /// The socket's registration with the loop's reactor (set right after it is made; nil only
    /// before that). Its (serial << 32 | fd) names the connection in reactor events, timers and
    /// loop tasks, so a stale one for a reused descriptor never reaches the wrong connection.
    var registration: ReactorToken?
    /// The runtime outlives its connections (it closes them all before it ends), so the
    /// reference needs no counting.
    unowned(unsafe) let runtime: LoopRuntime
    let shared: ServerShared
    var machine: ConnectionMachine
    var io: ConnectionIO
    /// The deadline that applies now, derived from the state by `refreshDeadline`.
    var deadline = ConnectionMachine.Deadline.none
    /// The deadline of this connection's latest arm of the reactor's timer (.max: none).
    var armedDeadline: UInt64 = .max
    /// Queued with the runtime for a flush at the end of the loop iteration (see
    /// `LoopRuntime.flushAtEndOfTurn`); cleared by `finishTurn`.
    var flushScheduled = false
    let acceptedAt: UInt64
    private var remoteAddressCache: String?

    init(fd: Int32, peer: PeerKey, runtime: LoopRuntime, tls: TLSSession?) {
        self.fd = fd
        self.peer = peer
        self.runtime = runtime
        self.shared = runtime.shared
        machine = ConnectionMachine(limits: runtime.shared.configuration.parserLimits,
                                    outboundBound: runtime.shared.outboundBufferBytes,
                                    probesEnabled: runtime.shared.probesEnabled, now: runtime.now,
                                    bodyBudget: runtime.shared.guards.bodies)
        io = ConnectionIO(tls: tls)
        acceptedAt = runtime.now
    }

    /// The connection's name in the loop's table and in loop tasks (see `registration`).
    var token: UInt64 { registration?.raw ?? 0 }

    func reactorEvents(_ events: UInt32, _ reactor: Reactor) { handle(events: events) }

    func reactorTimerFired(_ reactor: Reactor) { runtime.connectionTimerFired(self) }

    var remoteAddress: String {
        if let remoteAddressCache { return remoteAddressCache }
        let text = PeerAddress.describePeer(of: fd)
        remoteAddressCache = text
        return text
    }

    /// Called once the connection is registered with the reactor.
    func start() {
        refreshDeadline()
    }

    // MARK: events

    func handle(events: UInt32) {
        let readable = Epoll.input | Epoll.readHangUp | Epoll.hangUp | Epoll.error
        if events & readable != 0 {
            if io.interest & Epoll.input == 0 {
                // Not reading (paused, or peer already closed): only a hang-up or error gets here.
                if events & (Epoll.hangUp | Epoll.error) != 0 { closeNow(reason: .clientClosed) }
            } else {
                readFromSocket()
            }
        }
        finishTurn()
    }

    /// Ends every piece of work on this connection (and is the loop task that a producer on
    /// another thread wakes): take what the application queued, write, go on with input that
    /// waited, re-arm the timer, adjust the epoll interest.
    func finishTurn() {
        flushScheduled = false
        guard !machine.isClosed else { return }
        applyOutbox()
        if io.hasPendingOutput { flush() } else { outputDrained() }
        resumeWaitingInput()
        guard !machine.isClosed else { return }
        publishBacklog()
        refreshDeadline()
        updateInterest()
    }

    /// Parses input that waited (behind unread answers, or behind a stream that ended) once the
    /// output is below the bound again. Each round consumes input or stops waiting, so this ends.
    private func resumeWaitingInput() {
        while case .readingHead(let head) = machine.state, head.inputWaiting,
              io.pendingOutputBytes < shared.outboundBufferBytes {
            head.inputWaiting = false
            processBufferedInput()
            if io.hasPendingOutput { flush() }
        }
    }

    /// Writes what is queued; once everything is written, a closing connection lingers.
    func flush() {
        switch io.flush(fd: fd, now: runtime.now, writeTimerRunning: deadline.kind == .write) {
        case .failed(let error):
            if let error { runtime.logger.debug("TLS write failed: \(error)") }
            closeNow(reason: .clientClosed)
        case .written:
            if !io.hasPendingOutput { outputDrained() }
        }
    }

    /// Everything queued is written: a closing connection lingers now (or closes, when the
    /// peer is gone already).
    private func outputDrained() {
        switch machine.outputDrained(now: runtime.now) {
        case .none: break
        case .linger: beginLingering()
        case .close: closeNow(reason: .clientClosed)
        }
    }

    /// Asked on every read and every turn: inlined (callgrind showed the outlined getter, with
    /// its exclusivity checks, costing ~70 instructions a request once the state had one more case).
    var wantsInput: Bool {
        @inline(__always) get {
            machine.wantsInput(backlog: io.pendingOutputBytes, buffered: io.bufferedInputBytes,
                               readBufferSize: LoopRuntime.readBufferSize)
        }
    }

    func updateInterest() {
        var wanted: UInt32 = 0
        if wantsInput { wanted |= Epoll.input | Epoll.readHangUp }
        if io.hasPendingOutput { wanted |= Epoll.output }
        guard wanted != io.interest, let registration else { return }
        io.interest = wanted
        runtime.reactor.modify(registration, events: wanted)
    }

    // MARK: timers

    func refreshDeadline() {
        let output = ConnectionMachine.OutputTiming(hasPendingOutput: io.hasPendingOutput,
                                                    lastWriteProgress: io.lastWriteProgress,
                                                    handshakeStartedAt: io.handshakePending ? acceptedAt : nil)
        deadline = machine.deadline(shared.timeouts, output)
        if deadline.at < armedDeadline { runtime.armTimer(for: self) }
    }

    /// The loop's timer found this connection's deadline passed.
    func deadlineReached() {
        switch machine.timedOut(deadline.kind, hasBufferedInput: io.hasBufferedInput) {
        case .none:
            break
        case .close(let reason):
            if deadline.kind == .webSocketPong {
                runtime.logger.debug("WebSocket peer \(remoteAddress) answered no ping: closing")
            }
            closeNow(reason: reason)
        case .reject(let status, let reason):
            queueRejection(status, reason: reason)
        case .closeIfStillIdle(let since):
            readFromSocket()
            if machine.isStillIdle(since: since, hasBufferedInput: io.hasBufferedInput, hasPendingOutput: io.hasPendingOutput) {
                closeNow(reason: .clientClosed)
            }
        case .ping:
            sendKeepAlivePing()
        case .expireDeferred:
            expireDeferredResponse()
        }
        finishTurn()
    }

    // MARK: closing

    /// The graceful end, once everything queued is written (the machine is `lingering`):
    /// half-close, then read and drop input until the peer closes or the linger time passes.
    private func beginLingering() {
        // close_notify first, best effort: the socket already took everything else.
        guard io.sendCloseNotify(fd: fd) else {
            closeNow(reason: .clientClosed)
            return
        }
        shutdown(fd, Int32(SHUT_WR))
        io.dropInput()
    }

    /// Closes the socket at once and ends what the state held (a stream's or a WebSocket's
    /// `onClose`).
    func closeNow(reason: StreamCloseReason) {
        guard !machine.isClosed else { return }
        let previous = machine.close()
        close(fd)
        io.release()
        switch previous {
        case .streaming(let stream):
            // StreamCloseReason.serverShutdown promises that onShutdown handlers ran first.
            if reason == .serverShutdown { stream.writer.signalShutdown() }
            stream.writer.streamEnded(reason)
        case .webSocket(let channel):
            channel.reportClose()
        case .awaitingResponse(let deferred):
            abandonDeferred(deferred)
        case .readingHead, .readingBody, .closingAfterFlush, .lingering, .closed:
            break
        }
        // Last: this may complete a drain, whose caller may rely on the handlers above having run.
        runtime.forget(self)
    }

    /// The server began draining (accepting has stopped).
    func serverDraining() {
        // Bytes may have arrived since the last turn: a request already on its way is not idle.
        if case .readingHead = machine.state, !io.hasBufferedInput, !io.hasPendingOutput,
           io.interest & Epoll.input != 0 {
            readFromSocket()
        }
        switch machine.drainAction(hasBufferedInput: io.hasBufferedInput, hasPendingOutput: io.hasPendingOutput) {
        case .none:
            break
        case .close:
            closeNow(reason: .serverShutdown)
        case .signalStream(let writer):
            writer.signalShutdown()
        case .closeWebSocket(let channel):
            channel.session.close(code: WebSocketCloseCode.goingAway, reason: "server shutting down")
        }
        finishTurn()
    }
}
