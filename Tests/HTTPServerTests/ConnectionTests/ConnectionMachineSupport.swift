@testable import HTTPServer
import IsolationdTesting

/// Helpers for driving a `ConnectionMachine` without sockets: bytes in, events and states out,
/// each named by a short string so expectations read like the transitions they check.
extension ConnectionMachine {
    static let bound = 1000
    static let timeouts = TimeoutNanoseconds(HTTPServerConfiguration.testing)

    static func fresh(now: UInt64 = 0) -> ConnectionMachine {
        ConnectionMachine(limits: HTTPParserLimits(), outboundBound: bound, probesEnabled: true, now: now)
    }

    /// One step over `text`; the body limit is `limit` for every head (`withoutBody`: every
    /// head is answered without its body instead).
    mutating func feed(_ text: String, now: UInt64 = 0, backlog: Int = 0, draining: Bool = false,
                       limit: Int = 100, withoutBody: Bool = false) -> (consumed: Int, event: String) {
        feed(Array(text.utf8), now: now, backlog: backlog, draining: draining, limit: limit, withoutBody: withoutBody)
    }

    mutating func feed(_ bytes: [UInt8], now: UInt64 = 0, backlog: Int = 0, draining: Bool = false,
                       limit: Int = 100, withoutBody: Bool = false) -> (consumed: Int, event: String) {
        let step = bytes.withUnsafeBytes { bytes in
            receive(bytes, now: now, backlog: backlog, draining: draining) { _ in
                withoutBody ? .answerWithoutBody : .read(limit: limit)
            }
        }
        return (step.consumed, step.event.summary)
    }

    /// Feeds `text` step after step, as the connection does (bytes, not characters: "\r\n" is
    /// one Character), answering every request with `keepAlive`; returns the events in order.
    mutating func feedAll(_ text: String, now: UInt64 = 0, keepAlive: Bool = true) -> [String] {
        var rest = Array(text.utf8)[...]
        var events: [String] = []
        while !rest.isEmpty {
            let (consumed, event) = feed(Array(rest), now: now)
            events.append(event)
            rest = rest.dropFirst(consumed)
            if event.hasPrefix("request") { responded(keepAlive: keepAlive, now: now) }
            guard consumed > 0 || event.hasPrefix("request") || event.hasPrefix("body") else { break }
        }
        return events
    }

    func deadline(pendingOutput: Bool = false, lastWrite: UInt64 = 0) -> Deadline {
        deadline(Self.timeouts, OutputTiming(hasPendingOutput: pendingOutput, lastWriteProgress: lastWrite,
                                             handshakeStartedAt: nil))
    }

    var stateName: String { state.name }
}

extension ConnectionState {
    var name: String {
        switch self {
        case .readingHead(let head): head.inputWaiting ? "readingHead(waiting)" : "readingHead"
        case .readingBody: "readingBody"
        case .streaming: "streaming"
        case .awaitingResponse: "awaitingResponse"
        case .webSocket: "webSocket"
        case .closingAfterFlush(let peerGone): peerGone ? "closingAfterFlush(peerGone)" : "closingAfterFlush"
        case .lingering(let since): "lingering(\(since))"
        case .closed: "closed"
        }
    }
}

extension ConnectionMachine.InputEvent {
    var summary: String {
        switch self {
        case .needMore: "needMore"
        case .stalled: "stalled"
        case .request(let head, let body, _):
            "request \(head.method.rawValue) \(head.target)" + (body.isEmpty ? "" : " " + String(decoding: body, as: UTF8.self))
                + (head.keepAlive ? "" : " (close)")
        case .bodyStarted(let sendContinue): sendContinue ? "bodyStarted(continue)" : "bodyStarted"
        case .reject(let status, _): "reject \(status.code)"
        case .refuseDraining: "refuseDraining"
        case .refuseBodyBudget: "refuseBodyBudget"
        case .webSocket: "webSocket"
        case .held: "held"
        case .dropped: "dropped"
        case .skipped: "skipped"
        }
    }
}

/// A loop for the stream and WebSocket objects a machine holds (the machine never runs it).
final class IdleLoop {
    let loop: EventLoop

    init() throws {
        loop = try EventLoop(index: 0)
    }

    func stream(chunked: Bool = true, keepAlive: Bool = true) -> StreamState {
        let writer = ConnectionStreamWriter(outbox: ConnectionOutbox(loop: loop, token: 1, bound: 1000))
        return StreamState(writer: writer, chunked: chunked, keepAlive: keepAlive, encoder: nil)
    }

    func webSocket(now: UInt64 = 0) -> WebSocketChannel {
        let session = ConnectionWebSocketSession(outbox: ConnectionOutbox(loop: loop, token: 1, bound: 1000))
        let upgrade = WebSocketUpgrade(onOpen: { _ in }, onMessage: { _, _ in }, onClose: { _ in })
        return WebSocketChannel(machine: WebSocketServerProtocol(), session: session, upgrade: upgrade, now: now)
    }
}

let get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
let getB = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
