/// Received bytes: request heads, bodies, and where bytes go in the other states.
extension ConnectionMachine {
    /// What the bytes offered to `receive` amount to.
    enum InputEvent {
        /// Everything usable is consumed; wait for more bytes (an incomplete head stays buffered).
        case needMore
        /// Too many answers sit unread: stop parsing; resume once the output drains.
        case stalled
        /// A complete request: answer it, then call `responded`, `startStreaming` or `upgrade`.
        /// `bodyLimit`: the limit its body was read under (0 without a body).
        case request(HTTPRequestHead, body: [UInt8], bodyLimit: Int)
        /// A body follows its head; with `sendContinue` the client waits for `100 Continue`.
        case bodyStarted(sendContinue: Bool)
        /// A bad request (or a late one): answer `status` and close (the state is
        /// `closingAfterFlush`; input is dropped from now on).
        case reject(HTTPStatus, reason: String)
        /// A request completed while the server drains: 503 and close (`closingAfterFlush`).
        case refuseDraining
        /// The body would pass the server's budget for bodies in flight: 503 with `Retry-After`
        /// and close (`closingAfterFlush`), the body unread.
        case refuseBodyBudget
        /// The bytes belong to the WebSocket: hand them to its protocol machine.
        case webSocket
        /// A stream is open or a deferred answer awaited: keep the bytes (pipelined requests)
        /// for after it.
        case held
        /// The final answer is under way: the bytes are read only to be dropped.
        case dropped
        /// Bytes of a body that was answered from its head were skipped; go on with the rest.
        case skipped
    }

    /// What to do with the body a head announces (the responder's `bodyHandling`, with the
    /// server's default limit filled in).
    enum BodyPlan: Equatable {
        /// Read it, up to `limit` bytes (over it: 413 at once).
        case read(limit: Int)
        /// Answer from the head; skip the body unread (see `skippableBodyBytes`).
        case answerWithoutBody
    }

    /// The largest Content-Length body of a request answered from its head that is skipped as it
    /// arrives, keeping the connection; a larger or chunked body closes the connection after the
    /// answer instead. Small bodies are usually in flight already, and skipping costs less than
    /// a new connection; a large one is not worth receiving at all.
    static let skippableBodyBytes = 64 * 1024

    struct InputStep {
        /// Bytes of the offered input used.
        var consumed: Int
        var event: InputEvent
    }

    /// Takes one step over `bytes` (the connection's unconsumed input). `backlog`: bytes queued
    /// for the socket; `draining`: new requests are refused (probes still answer); `bodyPlan`:
    /// what to do with a head's body (asked only for a head that announces one).
    mutating func receive(_ bytes: UnsafeRawBufferPointer, now: UInt64, backlog: Int, draining: Bool,
                          bodyPlan: (HTTPRequestHead) -> BodyPlan) -> InputStep {
        switch state {
        case .readingHead(let head):
            if head.bodyBytesToSkip > 0 { return skipBody(bytes, head) }
            if head.startedAt == .max { head.startedAt = now }
            guard backlog < outboundBound else {
                head.inputWaiting = true
                return InputStep(consumed: 0, event: .stalled)
            }
            head.inputWaiting = false
            let parsed: (head: HTTPRequestHead, consumed: Int)?
            do {
                parsed = try head.parser.parse(bytes)
            } catch {
                state = .closingAfterFlush(peerGone: false)
                return InputStep(consumed: bytes.count, event: .reject(error.status, reason: error.reason))
            }
            guard let parsed else { return InputStep(consumed: 0, event: .needMore) }
            return InputStep(consumed: parsed.consumed,
                             event: beginRequest(parsed.head, head, now: now, draining: draining, bodyPlan: bodyPlan))
        case .readingBody:
            return readBody(bytes, now: now)
        case .webSocket:
            return InputStep(consumed: 0, event: .webSocket)
        case .streaming, .awaitingResponse:
            return InputStep(consumed: 0, event: .held)
        case .closingAfterFlush, .lingering, .closed:
            return InputStep(consumed: bytes.count, event: .dropped)
        }
    }

    /// Skips the unread body of a request answered from its head (the bytes are dropped, never
    /// buffered); the next head follows it.
    private func skipBody(_ bytes: UnsafeRawBufferPointer, _ head: HeadState) -> InputStep {
        let skipped = min(head.bodyBytesToSkip, bytes.count)
        head.bodyBytesToSkip -= skipped
        return InputStep(consumed: skipped, event: .skipped)
    }

    /// A complete head: answer it at once, or start reading its body.
    private mutating func beginRequest(_ head: HTTPRequestHead, _ headState: HeadState, now: UInt64, draining: Bool,
                                       bodyPlan: (HTTPRequestHead) -> BodyPlan) -> InputEvent {
        // Requests whose head completes once accepting stopped are refused; probes still answer,
        // and requests already past their head (reading a body) finish normally.
        if draining, !isProbe(head) {
            state = .closingAfterFlush(peerGone: false)
            return .refuseDraining
        }
        let length: Int
        switch head.framing {
        case .none:
            return .request(head, body: [], bodyLimit: 0)
        case .contentLength(let announced):
            length = announced
        case .chunked:
            length = -1
        }
        if length == 0 { return .request(head, body: [], bodyLimit: 0) }
        let limit: Int
        switch bodyPlan(head) {
        case .read(let readLimit):
            limit = readLimit
        case .answerWithoutBody:
            return answerWithoutBody(head, headState, announced: length)
        }
        guard length <= limit else {
            state = .closingAfterFlush(peerGone: false)
            return .reject(.contentTooLarge, reason: "the body is larger than \(limit) bytes")
        }
        // The announced length is reserved whole before a byte of it is read (a chunked body
        // reserves its first step now and more as it grows, see `readBody`).
        let decoder = length < 0 ? ChunkedBodyDecoder(maxBodyBytes: limit, limits: limits) : nil
        let body = BodyState(head: head, limit: limit, remaining: max(0, length), chunked: decoder,
                             startedAt: now, budget: bodyBudget)
        guard body.reserve(length < 0 ? min(limit, RequestBodyBudget.chunkedStep) : length) else {
            state = .closingAfterFlush(peerGone: false)
            return .refuseBodyBudget
        }
        state = .readingBody(body)
        return .bodyStarted(sendContinue: head.expectsContinue && head.version == .http1_1)
    }

    /// A request no route takes a body for: answered now. A small Content-Length body is skipped
    /// as it arrives (the connection stays); a larger or chunked one is never read: the answer
    /// says `Connection: close` and the connection closes after it. So does one sent with
    /// `Expect: 100-continue`: its client may never send the body after a final answer
    /// (RFC 9110 §10.1.1), so bytes counted as body could be its next request.
    private func answerWithoutBody(_ head: HTTPRequestHead, _ headState: HeadState, announced length: Int) -> InputEvent {
        if length > 0, length <= Self.skippableBodyBytes, !head.expectsContinue {
            headState.bodyBytesToSkip = length
            return .request(head, body: [], bodyLimit: 0)
        }
        var closing = head
        closing.keepAlive = false
        return .request(closing, body: [], bodyLimit: 0)
    }

    /// Whether bytes not consumed yet are kept for later (false: the state drops input, or the
    /// WebSocket took everything).
    var keepsUnconsumedInput: Bool {
        switch state {
        case .readingHead, .readingBody, .streaming, .awaitingResponse: true
        case .webSocket, .closingAfterFlush, .lingering, .closed: false
        }
    }

    /// Whether `head` asks for a built-in probe (answered even while draining).
    func isProbe(_ head: HTTPRequestHead) -> Bool {
        probesEnabled && (head.method == .get || head.method == .head) && ProbeResponses.match(head.target) != nil
    }

    /// Consumes body bytes; a complete body becomes a request and the state goes back to
    /// reading heads.
    private mutating func readBody(_ bytes: UnsafeRawBufferPointer, now: UInt64) -> InputStep {
        guard case .readingBody(let body) = state else { return InputStep(consumed: 0, event: .needMore) }
        let used: Int
        let complete: Bool
        if body.chunked != nil {
            do {
                used = try body.chunked?.decode(bytes, into: &body.body) ?? bytes.count
            } catch {
                state = .closingAfterFlush(peerGone: false)
                return InputStep(consumed: bytes.count, event: .reject(error.status, reason: error.reason))
            }
            complete = body.chunked?.isComplete == true
            // A chunked body's growth is reserved after each decoded read (so it may pass its
            // reservation by at most one read buffer before being refused).
            guard body.cover(body.body.count) else {
                state = .closingAfterFlush(peerGone: false)
                return InputStep(consumed: bytes.count, event: .refuseBodyBudget)
            }
        } else {
            used = min(body.remaining, bytes.count)
            body.body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<used]))
            body.remaining -= used
            complete = body.remaining == 0
        }
        guard complete else { return InputStep(consumed: used, event: .needMore) }
        state = .readingHead(HeadState(limits: limits, startedAt: .max, idleSince: now))
        return InputStep(consumed: used, event: .request(body.head, body: body.body, bodyLimit: body.limit))
    }
}
