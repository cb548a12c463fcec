/// What a responder answers. The server adds `Date`, `Content-Length` or `Transfer-Encoding`,
/// and `Connection` itself; header names and values are checked for CR/LF/NUL on the way out.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: ResponseBody

    public init(status: HTTPStatus, headers: HTTPHeaders = [:], body: ResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A complete body with its content type.
    public init(status: HTTPStatus, contentType: String, body: [UInt8], headers: HTTPHeaders = [:]) {
        var headers = headers
        headers.set("Content-Type", contentType)
        self.init(status: status, headers: headers, body: .bytes(body))
    }
}

/// The body of a response.
public enum ResponseBody: Sendable {
    /// No body (Content-Length: 0, or none for 1xx/204/304).
    case empty
    /// A complete body, sent with Content-Length.
    case bytes([UInt8])
    /// A body produced over time (SSE), sent chunked. `start` runs on the connection's loop once
    /// the head is queued; the writer it receives may then be used from any thread (cheapest
    /// from its loop, see `ResponseStreamWriter`).
    case stream(StreamingBody)
    /// Accept a WebSocket upgrade (RFC 6455). The server validates the handshake headers itself
    /// (400/426 when they are wrong) and answers 101 with `Sec-WebSocket-Accept`.
    case webSocket(WebSocketUpgrade)
    /// The answer comes later, through a `ResponseCompletion` (see `DeferredResponse` and
    /// `HTTPResponse.deferred`): the status and headers around this body are not sent.
    case deferred(DeferredResponse)
}

/// A streamed body's producer. For every response the responder returns with this body,
/// exactly one of `start` and `notStarted` runs, on the connection's loop, right after the
/// responder returned: a producer that reserved something while answering (a subscription) can
/// always release it, and needs no timer for a body that never started.
public struct StreamingBody: Sendable {
    /// The head is queued: produce the body through the writer.
    public var start: @Sendable (any ResponseStreamWriter) -> Void
    /// The server sends no body after all: a HEAD request, a status without a body (1xx, 204,
    /// 304), or a response refused as invalid (answered 500 instead).
    public var notStarted: @Sendable () -> Void

    public init(start: @escaping @Sendable (any ResponseStreamWriter) -> Void,
                notStarted: @escaping @Sendable () -> Void = {}) {
        self.start = start
        self.notStarted = notStarted
    }
}

/// The result of queueing bytes on a stream or a WebSocket.
public enum StreamWriteResult: Sendable, Equatable {
    /// Queued; the loop will write it.
    case queued
    /// The peer is not reading fast enough: the connection's bounded outbound buffer is full.
    /// Nothing was queued; the producer should end the stream with a reason (it may still call
    /// `finish(final:)`, whose bytes bypass the bound once).
    case overflow
    /// The stream is already closed; nothing was queued.
    case closed
}

/// Why a stream ended, as told to `onClose` handlers.
public enum StreamCloseReason: Sendable, Equatable {
    /// The producer called `finish`.
    case finished
    /// The client closed the connection or an I/O error ended it.
    case clientClosed
    /// A write did not complete within the write timeout.
    case writeTimeout
    /// The server is draining. Handlers registered with `onShutdown` ran first.
    case serverShutdown
}

/// The writing end of a streamed response. On its `loop`'s thread a write goes straight into
/// the connection's outbound buffer and is sent at the end of the loop's current turn (no
/// queue, no wake-up); `finish` completes at the end of that turn too, so no handler runs inside
/// a producer's call. Any other thread may write as well: the bytes are queued and the loop is
/// woken once for all of them, and they keep their order with the loop's own writes. The
/// outbound buffer is bounded (server configuration) either way, so a slow reader is reported
/// as `.overflow`, never as growth.
public protocol ResponseStreamWriter: AnyObject, Sendable {
    /// The loop that owns the connection (write from it to skip the queue and the wake-up).
    var loop: any ConnectionLoop { get }
    /// Queues one chunk (sent as one HTTP chunk; flushed through gzip when compressing).
    @discardableResult func write(_ bytes: [UInt8]) -> StreamWriteResult
    /// Queues `final` (if any, ignoring the bound), ends the chunked body and keeps the
    /// connection alive if it can. Idempotent.
    func finish(final: [UInt8]?)
    /// Called once, on the loop thread, when the stream ends for whatever reason (at once, on
    /// the calling thread, if it already has).
    func onClose(_ handler: @escaping @Sendable (StreamCloseReason) -> Void)
    /// Called once, on the loop thread, when the server begins to drain, while the stream is
    /// still open, so the producer can write a last event and call `finish` (at once, on the
    /// calling thread, if the drain has begun). Streams still open at the drain deadline are closed.
    func onShutdown(_ handler: @escaping @Sendable () -> Void)
    var isOpen: Bool { get }
    /// Bytes written and not yet taken by the socket (exact on the loop thread).
    var outboundBacklog: Int { get }
    /// The connection's bound on that backlog (`outboundBufferBytes`): a write that would pass
    /// it is refused with `.overflow`, unless nothing is queued at all.
    var outboundBound: Int { get }
    /// Runs `handler` once, on the loop, after the socket has taken everything written: a
    /// producer with more to send than the bound allows (a replay) waits for it instead of
    /// overflowing. Never runs once the stream has ended.
    func whenDrained(_ handler: @escaping @Sendable () -> Void)
}
