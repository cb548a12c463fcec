import ExecutionCore
import HTTPServer

/// Writes a subscription to a WebSocket: one text frame per envelope (its JSON exactly as the
/// hub serialized it), notices as `{"type":"gap"|"subscribed"|"error",...}` frames.
final class WebSocketEventSink: EventStreamSink {
    /// Close codes (RFC 6455 §7.4.1).
    static let normalClosure: UInt16 = 1000
    static let goingAway: UInt16 = 1001
    static let policyViolation: UInt16 = 1008
    /// RFC 6455's registry: "Try Again Later".
    static let tryAgainLater: UInt16 = 1013

    let session: any WebSocketSession

    init(session: any WebSocketSession) {
        self.session = session
    }

    var loop: any ConnectionLoop { session.loop }
    var transport: StreamTransport { .webSocket }
    var wantsHeartbeats: Bool { false }
    /// A server frame's header: at most 10 bytes (no mask).
    var framingBytesPerEvent: Int { 10 }
    var outboundBacklog: Int { session.outboundBacklog }
    var outboundBound: Int { session.outboundBound }
    func whenDrained(_ handler: @escaping @Sendable () -> Void) { session.whenDrained(handler) }

    func open() -> StreamWriteResult { .queued }

    func deliver(gap: EventGap?, events: [PublishedEvent]) -> (result: StreamWriteResult, written: Int) {
        if let gap {
            let result = send(StreamNotice.gap(gap))
            if result != .queued { return (result, 0) }
        }
        for (index, event) in events.enumerated() {
            let result = send(event.json)
            if result != .queued { return (result, index) }
        }
        return (.queued, events.count)
    }

    func heartbeat() -> StreamWriteResult { .queued }

    func acknowledge(filter: EventFilter, after: UInt64?) -> StreamWriteResult {
        send(StreamNotice.subscribed(filter: filter, after: after))
    }

    func reject(code: String, detail: String) -> StreamWriteResult {
        send(StreamNotice.error(code: code, detail: detail))
    }

    func end(_ ending: StreamEnding, lastEventID: UInt64?) {
        let resume = lastEventID.map { "; resume after id \($0)" } ?? ""
        switch ending {
        case .slowConsumer:
            session.close(code: Self.policyViolation, reason: "slow consumer" + resume)
        case .serverShutdown:
            session.close(code: Self.goingAway, reason: "server shutting down" + resume)
        case .unavailable:
            session.close(code: Self.tryAgainLater, reason: "event store unavailable" + resume)
        case .runFinished:
            session.close(code: Self.normalClosure, reason: "stream complete")
        case .clientGone:
            break
        }
    }

    private func send(_ json: [UInt8]) -> StreamWriteResult {
        // The session frames a String; the envelope bytes are valid UTF-8 (the hub wrote them).
        session.send(text: String(decoding: json, as: UTF8.self))
    }
}
