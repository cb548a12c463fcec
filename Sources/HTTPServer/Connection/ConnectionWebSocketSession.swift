/// The `WebSocketSession` handed to the application: a face of the connection's
/// `ConnectionOutbox`. Frames are encoded by the caller; on the loop thread they go straight
/// into the connection's buffer, from other threads through the outbox's queue. `close` asks
/// the loop to start the close handshake at the end of its turn.
final class ConnectionWebSocketSession: WebSocketSession {
    let outbox: ConnectionOutbox

    init(outbox: ConnectionOutbox) { self.outbox = outbox }

    /// The loop that owns the connection: sends made on it go straight into the connection's buffer.
    var loop: any ConnectionLoop { outbox.loop }

    @discardableResult
    func send(text: String) -> StreamWriteResult {
        outbox.enqueue(WebSocketFrameCodec.encode(opcode: .text, payload: text.utf8))
    }

    @discardableResult
    func send(binary: [UInt8]) -> StreamWriteResult {
        outbox.enqueue(WebSocketFrameCodec.encode(opcode: .binary, payload: binary))
    }

    func close(code: UInt16, reason: String) { outbox.requestEnd(.close(code: code, reason: reason)) }

    var isOpen: Bool { outbox.isOpen }

    var outboundBacklog: Int { outbox.backlog }

    var outboundBound: Int { outbox.bound }

    func whenDrained(_ handler: @escaping @Sendable () -> Void) { outbox.whenDrained(handler) }
}
