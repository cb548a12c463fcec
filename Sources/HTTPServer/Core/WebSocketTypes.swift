/// Accepting a WebSocket upgrade: the responder returns `.webSocket(WebSocketUpgrade(...))`.
/// Callbacks run on the connection's loop and must not block. For every upgrade the responder
/// returns, exactly one of `onOpen` and `onRefused` runs, right after the responder returned;
/// `onClose` follows `onOpen` (only), once.
public struct WebSocketUpgrade: Sendable {
    /// The subprotocol to select (must be one the client offered in `Sec-WebSocket-Protocol`).
    public var subprotocol: String?
    /// Largest message (after reassembly of fragments) accepted; larger closes with 1009.
    public var maxMessageBytes: Int
    /// Keep-alive: after this long without a byte from the peer the server sends a ping; if
    /// another interval passes without one, the peer is taken as gone and the connection closed
    /// (`onClose` gets 1006). Finds dead peers behind NATs and proxies that would otherwise hold
    /// a stream slot forever. nil: no pings.
    public var keepAliveInterval: Duration?
    public var onOpen: @Sendable (any WebSocketSession) -> Void
    public var onMessage: @Sendable (any WebSocketSession, WebSocketMessage) -> Void
    /// Called once when the connection ends, with the close code received or sent (1006 when
    /// none was: abnormal closure).
    public var onClose: @Sendable (UInt16) -> Void
    /// The server did not upgrade after all: the handshake headers are invalid (400/426), the
    /// subprotocol was not offered, or the response was refused as invalid (500). Lets the
    /// application release what it reserved while answering.
    public var onRefused: @Sendable () -> Void

    public init(subprotocol: String? = nil, maxMessageBytes: Int = 1 << 20, keepAliveInterval: Duration? = nil,
                onOpen: @escaping @Sendable (any WebSocketSession) -> Void,
                onMessage: @escaping @Sendable (any WebSocketSession, WebSocketMessage) -> Void,
                onClose: @escaping @Sendable (UInt16) -> Void,
                onRefused: @escaping @Sendable () -> Void = {}) {
        self.subprotocol = subprotocol
        self.maxMessageBytes = maxMessageBytes
        self.keepAliveInterval = keepAliveInterval.map { max($0, .milliseconds(10)) }
        self.onOpen = onOpen
        self.onMessage = onMessage
        self.onClose = onClose
        self.onRefused = onRefused
    }
}

/// A complete data message (fragments reassembled; text validated as UTF-8).
public enum WebSocketMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}

/// The sending side of an open WebSocket. Like `ResponseStreamWriter`: on its `loop`'s thread a
/// frame goes straight into the connection's outbound buffer (sent at the end of the turn) and
/// `close` takes effect at the end of the turn; other threads may send too (queued, one
/// wake-up); the same bounded outbound buffer applies to both. The server answers pings and the
/// close handshake itself; on drain it closes every session with 1001 (going away).
public protocol WebSocketSession: AnyObject, Sendable {
    /// The loop that owns the connection.
    var loop: any ConnectionLoop { get }
    @discardableResult func send(text: String) -> StreamWriteResult
    @discardableResult func send(binary: [UInt8]) -> StreamWriteResult
    /// Starts the close handshake with `code` (1000 normal, 1008 policy, 1013 try again later...).
    func close(code: UInt16, reason: String)
    var isOpen: Bool { get }
    /// Frames sent and not yet taken by the socket, control frames included (exact on the loop).
    var outboundBacklog: Int { get }
    /// The connection's bound on that backlog (see `ResponseStreamWriter.outboundBound`).
    var outboundBound: Int { get }
    /// Runs `handler` once, on the loop, after the socket has taken everything sent (see
    /// `ResponseStreamWriter.whenDrained`).
    func whenDrained(_ handler: @escaping @Sendable () -> Void)
}
