/// Where one HTTP/1.1 connection is. Each state carries the data that only it needs, so leaving
/// a state drops that data: nothing is reset by hand, and no state can see another's leftovers.
///
/// ```
///             ┌────────────── keep-alive ───────────────┐
///             ▼                                         │
///   ──▶ readingHead ──▶ readingBody ──▶ (answered) ─────┤
///             │ │╲                                      │
///             │ │ ╲──▶ streaming ──── finished ─────────┤
///             │ │  ╲─▶ webSocket                        │
///             │ ╰──▶ awaitingResponse ── completed ─────┘ (then answered, streamed or upgraded)
///             ▼            │ (error, Connection: close, drain, close handshake)
///    closingAfterFlush ◀───┘
///             │ (everything written)
///             ▼
///         lingering ──▶ closed      (any state ──▶ closed on EOF, I/O error or timeout)
/// ```
/// The transitions are `ConnectionMachine`'s; `HTTPConnection` performs the I/O they ask for.
enum ConnectionState {
    /// Idle between requests, or reading a request head.
    case readingHead(HeadState)
    /// A head announced a body; its bytes are being read.
    case readingBody(BodyState)
    /// A streamed response is open; requests pipelined behind it wait in the input buffer.
    case streaming(StreamState)
    /// A deferred response is awaited; requests pipelined behind it wait in the input buffer.
    case awaitingResponse(DeferredState)
    /// After a 101: WebSocket frames both ways.
    case webSocket(WebSocketChannel)
    /// The last answer is queued: write it, then linger. `peerGone`: the peer already closed its
    /// sending side, so the connection closes instead of lingering.
    case closingAfterFlush(peerGone: Bool)
    /// Our side is shut for writing; input is read and dropped until the peer closes or the
    /// linger time from `since` passes, so the peer sees our last answer rather than a reset.
    case lingering(since: UInt64)
    case closed
}

/// Reading a request head (or idle, waiting for one). A class so the parser is advanced in
/// place on every read: one per connection, kept across keep-alive requests.
final class HeadState {
    /// The head read so far (the parser remembers how far it scanned the buffered bytes).
    var parser: HTTPHeadParser
    /// When the head's first byte arrived (.max: none yet, the connection is idle).
    var startedAt: UInt64
    /// When the connection became idle: accepted, or its last answer queued.
    var idleSince: UInt64
    /// Buffered bytes wait unparsed: behind answers the peer has not read yet, or behind a
    /// stream that just ended. They are parsed once the output drains below the bound.
    var inputWaiting: Bool
    /// Bytes still to come of the body of a request answered from its head; they are dropped
    /// before the next head is parsed.
    var bodyBytesToSkip = 0

    init(limits: HTTPParserLimits, startedAt: UInt64, idleSince: UInt64, inputWaiting: Bool = false) {
        parser = HTTPHeadParser(limits: limits)
        self.startedAt = startedAt
        self.idleSince = idleSince
        self.inputWaiting = inputWaiting
    }
}

/// Reading the body of `head`: its decoder, its limit, the bytes so far and their share of the
/// server's in-flight body budget (given back when this state is dropped). A class so the body
/// grows in place (and the state enum stays one word wide, cheap to read).
final class BodyState {
    let head: HTTPRequestHead
    let limit: Int
    var body: [UInt8] = []
    /// The server's budget of body bytes in flight, and what this body holds of it: given back
    /// by `deinit`, so no path out of `readingBody` can forget it (kept here rather than in an
    /// object of its own: no second allocation per request body).
    private let budget: RequestBodyBudget
    private(set) var reservedBytes = 0
    /// Content-Length bytes still to come (when not chunked).
    var remaining: Int
    /// The decoder of a chunked body (nil: Content-Length).
    var chunked: ChunkedBodyDecoder?
    let startedAt: UInt64

    init(head: HTTPRequestHead, limit: Int, remaining: Int, chunked: ChunkedBodyDecoder?, startedAt: UInt64,
         budget: RequestBodyBudget) {
        self.head = head
        self.limit = limit
        self.budget = budget
        self.remaining = remaining
        self.chunked = chunked
        self.startedAt = startedAt
        // Reserve what was announced, but not more than a modest amount up front: the limit may
        // be large and the bytes may never come.
        if remaining > 0 { body.reserveCapacity(min(remaining, 1 << 20)) }
    }

    deinit { budget.release(reservedBytes) }

    /// Reserves `count` more bytes of the budget; false when it is full (nothing was reserved).
    func reserve(_ count: Int) -> Bool {
        guard budget.reserve(count) else { return false }
        reservedBytes += count
        return true
    }

    /// Makes sure at least `needed` bytes are held, reserving whole `RequestBodyBudget.chunkedStep`s.
    func cover(_ needed: Int) -> Bool {
        guard needed > reservedBytes else { return true }
        let step = RequestBodyBudget.chunkedStep
        return reserve((needed - reservedBytes + step - 1) / step * step)
    }
}

/// A streamed response in progress: the producer's writer (with the outbox it fills) and how
/// its chunks are framed on the wire.
final class StreamState {
    let writer: ConnectionStreamWriter
    /// HTTP/1.1 chunked coding; HTTP/1.0 has none, so its body ends when the connection closes.
    let chunked: Bool
    /// Whether the connection may serve another request once the stream finishes.
    let keepAlive: Bool
    /// gzip, when the client accepts it and the configuration compresses streams.
    let encoder: GzipStreamEncoder?

    init(writer: ConnectionStreamWriter, chunked: Bool, keepAlive: Bool, encoder: GzipStreamEncoder?) {
        self.writer = writer
        self.chunked = chunked
        self.keepAlive = keepAlive
        self.encoder = encoder
    }
}

/// A deferred response awaited for `head`: the head state to go back to (its parser, and the
/// skip of an unread body, carry on after the answer), the completion the application holds,
/// and when the wait began (the safety deadline runs from it).
final class DeferredState {
    let headState: HeadState
    let head: HTTPRequestHead
    let completion: ResponseCompletion
    let startedAt: UInt64

    init(headState: HeadState, head: HTTPRequestHead, completion: ResponseCompletion, startedAt: UInt64) {
        self.headState = headState
        self.head = head
        self.completion = completion
        self.startedAt = startedAt
    }
}
