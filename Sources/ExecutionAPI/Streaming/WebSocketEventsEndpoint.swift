import ExecutionCore
import HTTPServer

/// `GET /v1/events/ws`: the caller's events as WebSocket text frames (one envelope each).
///
/// The handshake is checked, the caller authenticated (`StreamCredentials`) and the subscription
/// made while answering, so a bad upgrade, a missing token or the per-user cap get a plain HTTP
/// answer (400/426, 401, 429) and nothing is subscribed unless the 101 follows. The server runs
/// the protocol itself (ping/pong, close handshake, limits, 1001 on drain).
enum WebSocketEventsEndpoint {
    /// `next` behind a check of the upgrade headers: a request that cannot be upgraded is told
    /// so (400/426) before anything else is looked at.
    static func handshakeChecked(_ next: @escaping Router.Handler) -> Router.Handler {
        { request in
            if case .failure(let refusal) = WebSocketHandshake.validate(method: request.method, version: request.version,
                                                                       headers: request.headers) {
                // 400 or 426: the general type of the status (`bad-request`, `upgrade-required`).
                return ProblemDetails(ProblemType.forServerStatus(refusal.status) ?? .badRequest,
                                      detail: refusal.reason, headers: refusal.headers).response()
            }
            return next(request)
        }
    }

    /// The caller's events, optionally filtered and resumed (the SSE parameters). On a journal
    /// the 101 waits until the subscription is anchored, as the SSE response does.
    static func events(_ request: APIRequest, _ environment: EventStreamEnvironment) throws(ProblemDetails) -> HTTPResponse {
        let filter = try StreamRequestParsing.filter(request.http)
        let after = try StreamRequestParsing.cursor(request.http)
        let subprotocol = StreamCredentials.selectedSubprotocol(request.http)
        let context = environment.context(userID: request.userID)
        guard environment.hub.hasJournal else {
            return upgrade(try open(context, environment, filter: filter, after: after, ready: nil), environment, subprotocol)
        }
        return LaterAnswer.respond { answer in
            let gate = AnchorGate(answer)
            do throws(ProblemDetails) {
                let stream = try open(context, environment, filter: filter, after: after, ready: { gate.anchored() })
                gate.opened(upgrade(stream, environment, subprotocol))
            } catch {
                answer(.failure(error))
            }
        }
    }

    private static func open(_ context: EventStreamContext, _ environment: EventStreamEnvironment, filter: EventFilter,
                             after: UInt64?, ready: (@Sendable () -> Void)?) throws(ProblemDetails) -> EventStream {
        do {
            return try EventStream.open(context, filter: filter, after: after, ready: ready)
        } catch {
            throw StreamRequestParsing.problem(for: error, retryMilliseconds: environment.settings.retryMilliseconds)
        }
    }

    private static func upgrade(_ stream: EventStream, _ environment: EventStreamEnvironment, _ subprotocol: String?) -> HTTPResponse {
        let upgrade = WebSocketUpgrade(
            subprotocol: subprotocol, maxMessageBytes: environment.maxClientMessageBytes,
            // Pings on the heartbeat interval find peers that vanished without a FIN (their
            // stream slot is freed one interval later) and keep idle proxies from cutting us off.
            keepAliveInterval: environment.heartbeatInterval,
            onOpen: { session in stream.attach(WebSocketEventSink(session: session)) },
            onMessage: { session, message in receive(message, session: session, stream: stream) },
            onClose: { _ in stream.clientClosed() },
            // The server did not upgrade after all: release the subscription.
            onRefused: { stream.clientClosed() })
        return HTTPResponse(status: .switchingProtocols, body: .webSocket(upgrade))
    }

    /// A client message: a valid `subscribe` re-filters the stream (acknowledged in order with
    /// the events); anything else is answered with an error frame and the stream goes on.
    static func receive(_ message: WebSocketMessage, session: any WebSocketSession, stream: EventStream) {
        switch message {
        case .binary:
            session.send(text: String(decoding: StreamNotice.error(code: "invalid_message",
                                                                   detail: "binary messages are not accepted; send JSON text"),
                                      as: UTF8.self))
        case .text(let text):
            do {
                let parsed = try StreamClientMessage.parse(text)
                guard stream.resubscribe(filter: parsed.filter, after: parsed.after) else {
                    let limit = "at most \(Int(SubscriptionChangeLimiter.burst)) subscription changes at once and "
                        + "\(Int(SubscriptionChangeLimiter.perSecond)) a second; this one was ignored"
                    session.send(text: String(decoding: StreamNotice.error(code: "rate_limited", detail: limit), as: UTF8.self))
                    return
                }
            } catch {
                session.send(text: String(decoding: StreamNotice.error(code: "invalid_message", detail: error.detail),
                                          as: UTF8.self))
            }
        }
    }
}
