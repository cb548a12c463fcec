import ExecutionCore
import HTTPServer

/// SSE framing (HTML Living Standard, "Server-sent events"): `id:`, `event:`, `data:` lines and a
/// blank line per event; `:` comments for heartbeats. An envelope's JSON never holds a raw CR or
/// LF (the encoder escapes every control character in strings and writes compact JSON), so it
/// always fits one `data:` line and is copied once, straight from the hub's serialized bytes.
enum SSEFraming {
    static let ping: [UInt8] = Array(": ping\n\n".utf8)

    static func retry(milliseconds: Int) -> [UInt8] {
        Array("retry: \(milliseconds)\n\n".utf8)
    }

    /// `id: N\nevent: type\ndata: {json}\n\n` appended to `out`.
    @inline(__always)
    static func appendEvent(_ envelope: PublishedEvent, to out: inout [UInt8]) {
        out.append(contentsOf: "id: ".utf8)
        appendDecimal(envelope.id, to: &out)
        out.append(contentsOf: "\nevent: ".utf8)
        out.append(contentsOf: envelope.type.rawValue.utf8)
        out.append(contentsOf: "\ndata: ".utf8)
        out.append(contentsOf: envelope.json)
        out.append(contentsOf: "\n\n".utf8)
    }

    /// An event without an id (so it does not move the client's `Last-Event-ID`).
    static func appendNotice(event name: String, json: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: "event: ".utf8)
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: "\ndata: ".utf8)
        out.append(contentsOf: json)
        out.append(contentsOf: "\n\n".utf8)
    }

    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        let start = out.count
        var rest = value
        repeat {
            out.append(UInt8(ascii: "0") &+ UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        out[start...].reverse()
    }
}

/// Writes a subscription to a chunked `text/event-stream` response: each drained batch becomes
/// one chunk.
final class ServerSentEventSink: EventStreamSink {
    let writer: any ResponseStreamWriter
    let retryMilliseconds: Int

    init(writer: any ResponseStreamWriter, retryMilliseconds: Int) {
        self.writer = writer
        self.retryMilliseconds = retryMilliseconds
    }

    var loop: any ConnectionLoop { writer.loop }
    var transport: StreamTransport { .sse }
    var wantsHeartbeats: Bool { true }
    /// `id: <20 digits>\nevent: <type>\ndata: ` and `\n\n`.
    var framingBytesPerEvent: Int { 64 }
    var outboundBacklog: Int { writer.outboundBacklog }
    var outboundBound: Int { writer.outboundBound }
    func whenDrained(_ handler: @escaping @Sendable () -> Void) { writer.whenDrained(handler) }

    func open() -> StreamWriteResult {
        writer.write(SSEFraming.retry(milliseconds: retryMilliseconds))
    }

    func deliver(gap: EventGap?, events: [PublishedEvent]) -> (result: StreamWriteResult, written: Int) {
        var out: [UInt8] = []
        var capacity = gap == nil ? 0 : 160
        for event in events { capacity &+= event.json.count &+ 64 }
        out.reserveCapacity(capacity)
        if let gap { SSEFraming.appendNotice(event: "gap", json: StreamNotice.gap(gap), to: &out) }
        for event in events { SSEFraming.appendEvent(event, to: &out) }
        let result = writer.write(out)
        return (result, result == .queued ? events.count : 0)
    }

    func heartbeat() -> StreamWriteResult { writer.write(SSEFraming.ping) }

    func acknowledge(filter: EventFilter, after: UInt64?) -> StreamWriteResult { .queued }

    func reject(code: String, detail: String) -> StreamWriteResult { .queued }

    func end(_ ending: StreamEnding, lastEventID: UInt64?) {
        switch ending {
        case .clientGone:
            writer.finish(final: nil)
        case .runFinished:
            writer.finish(final: nil)
        case .slowConsumer, .serverShutdown, .unavailable:
            var out: [UInt8] = []
            let name = ending == .serverShutdown ? "server_shutdown" : "error"
            SSEFraming.appendNotice(event: name, json: StreamNotice.ending(ending, lastEventID: lastEventID,
                                                                           retryMilliseconds: retryMilliseconds), to: &out)
            writer.finish(final: out)
        }
    }
}
