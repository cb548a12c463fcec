/// Timers: a connection has one deadline at a time, derived from its state and output, and a
/// passed deadline becomes an action.
extension ConnectionMachine {
    enum DeadlineKind: Equatable {
        case none, head, idle, body, write, linger, tlsHandshake, webSocketPing, webSocketPong, deferredResponse
    }

    struct Deadline: Equatable {
        var kind: DeadlineKind
        /// Monotonic nanoseconds (.max: none).
        var at: UInt64

        static let none = Deadline(kind: .none, at: .max)
    }

    /// Facts about the output and the transport that the deadline depends on.
    struct OutputTiming {
        /// Bytes wait for the socket (the write timer runs).
        var hasPendingOutput: Bool
        /// When the socket last took bytes, or the first write blocked.
        var lastWriteProgress: UInt64
        /// When the TLS handshake began, while it is not complete (nil: plain or done).
        var handshakeStartedAt: UInt64?
    }

    /// The deadline that applies now.
    func deadline(_ timeouts: TimeoutNanoseconds, _ output: OutputTiming) -> Deadline {
        if case .closed = state { return .none }
        if output.hasPendingOutput { return Deadline(kind: .write, at: output.lastWriteProgress &+ timeouts.write) }
        if let handshake = output.handshakeStartedAt {
            return Deadline(kind: .tlsHandshake, at: handshake &+ timeouts.tlsHandshake)
        }
        switch state {
        case .readingHead(let head):
            if head.startedAt != .max { return Deadline(kind: .head, at: head.startedAt &+ timeouts.requestHead) }
            return Deadline(kind: .idle, at: head.idleSince &+ timeouts.idle)
        case .readingBody(let body):
            return Deadline(kind: .body, at: body.startedAt &+ timeouts.body)
        case .awaitingResponse(let deferred):
            // The server's safety net for an application that never answers (not an idle timer:
            // the client is waiting for us).
            return Deadline(kind: .deferredResponse, at: deferred.startedAt &+ timeouts.deferredResponse)
        case .lingering(let since):
            return Deadline(kind: .linger, at: since &+ timeouts.linger)
        case .webSocket(let channel):
            // After our close frame the peer has the linger time to answer it; before, the
            // keep-alive (if any) decides.
            if channel.closeSentAt != .max { return Deadline(kind: .linger, at: channel.closeSentAt &+ timeouts.linger) }
            guard let keepAlive = channel.keepAliveDeadline else { return .none }
            return Deadline(kind: keepAlive.pingDue ? .webSocketPing : .webSocketPong, at: keepAlive.at)
        case .streaming, .closingAfterFlush, .closed:
            return .none
        }
    }

    enum TimeoutAction: Equatable {
        case none
        /// Close the socket now.
        case close(StreamCloseReason)
        /// Answer with an error, then close (the state is `closingAfterFlush`).
        case reject(HTTPStatus, reason: String)
        /// Read what has arrived first (a request may be on its way as the timer fires, RFC 9112
        /// §9.6), then close only if `isStillIdle(since:)` says so.
        case closeIfStillIdle(since: UInt64)
        /// Send a keep-alive ping.
        case ping
        /// The deferred answer did not come in time: the server answers for it.
        case expireDeferred
    }

    /// A deadline of `kind` passed. `hasBufferedInput`: part of a head has arrived.
    mutating func timedOut(_ kind: DeadlineKind, hasBufferedInput: Bool) -> TimeoutAction {
        switch kind {
        case .none:
            return .none
        case .head:
            // A silent connection is simply closed; a started request is told why.
            guard hasBufferedInput, abandonRequest() else { return .close(.clientClosed) }
            return .reject(.requestTimeout, reason: "the request head did not arrive in time")
        case .idle:
            guard case .readingHead(let head) = state else { return .none }
            return .closeIfStillIdle(since: head.idleSince)
        case .linger, .tlsHandshake:
            return .close(.clientClosed)
        case .body:
            guard abandonRequest() else { return .close(.clientClosed) }
            return .reject(.requestTimeout, reason: "the request body did not arrive in time")
        case .write:
            return .close(.writeTimeout)
        case .webSocketPing:
            return .ping
        case .webSocketPong:
            // The last ping went unanswered for a whole interval: the peer is gone.
            return .close(.clientClosed)
        case .deferredResponse:
            guard case .awaitingResponse = state else { return .none }
            return .expireDeferred
        }
    }

    /// Whether the connection has stayed idle since `since`, with nothing received or queued.
    func isStillIdle(since: UInt64, hasBufferedInput: Bool, hasPendingOutput: Bool) -> Bool {
        guard case .readingHead(let head) = state else { return false }
        return head.idleSince == since && head.startedAt == .max && !hasBufferedInput && !hasPendingOutput
    }
}
