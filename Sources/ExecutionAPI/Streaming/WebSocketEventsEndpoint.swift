import ExecutionCore
import HTTPServer

/// `GET /v1/events/ws`: the caller's events as WebSocket text frames (one envelope each).
///
/// The handshake is checked and the subscription made while answering, so a bad upgrade, a
/// missing token or the per-user cap get a plain HTTP answer (400/426, 401, 429) and nothing is
/// subscribed unless the 101 follows. The server runs the protocol itself (ping/pong, close
/// handshake, limits, 1001 on drain).
enum WebSocketEventsEndpoint {
    static func events(_ request: HTTPRequest, _ environment: EventStreamEnvironment) -> HTTPResponse {
        if case .failure(let refusal) = WebSocketHandshake.validate(method: request.method, version: request.version,
                                                                   headers: request.headers) {
            return ProblemDetails(type: "about:blank", title: "Bad WebSocket upgrade", status: refusal.status,
                                  detail: refusal.reason, headers: refusal.headers).response()
        }
        let bridge: EventStreamBridge
        let subprotocol: String?
        do throws(ProblemDetails) {
            let (principal, selected) = try StreamRequestParsing.webSocketPrincipal(request, environment.authenticator)
            let filter = try StreamRequestParsing.filter(request)
            let after = try StreamRequestParsing.cursor(request)
            subprotocol = selected
            do {
                bridge = try EventStreamBridge.open(hub: environment.hub, pump: environment.pump,
                                                    userID: principal.userID, filter: filter, after: after)
            } catch {
                throw StreamRequestParsing.problem(for: error, retryMilliseconds: environment.settings.retryMilliseconds)
            }
        } catch {
            return error.response()
        }
        let upgrade = WebSocketUpgrade(
            subprotocol: subprotocol, maxMessageBytes: environment.maxClientMessageBytes,
            // Pings on the heartbeat interval find peers that vanished without a FIN (their
            // stream slot is freed one interval later) and keep idle proxies from cutting us off.
            keepAliveInterval: environment.pump.heartbeatInterval,
            onOpen: { session in bridge.attach(WebSocketEventSink(session: session)) },
            onMessage: { session, message in receive(message, session: session, bridge: bridge) },
            onClose: { _ in bridge.post(.clientClosed) })
        return HTTPResponse(status: .switchingProtocols, body: .webSocket(upgrade))
    }

    /// A client message: a valid `subscribe` re-filters the stream (acknowledged in order with
    /// the events); anything else is answered with an error frame and the stream goes on.
    static func receive(_ message: WebSocketMessage, session: any WebSocketSession, bridge: EventStreamBridge) {
        switch message {
        case .binary:
            session.send(text: String(decoding: StreamNotice.error(code: "invalid_message",
                                                                   detail: "binary messages are not accepted; send JSON text"),
                                      as: UTF8.self))
        case .text(let text):
            do {
                let parsed = try StreamClientMessage.parse(text)
                bridge.post(.resubscribe(parsed.filter, after: parsed.after))
            } catch {
                session.send(text: String(decoding: StreamNotice.error(code: "invalid_message", detail: error.detail),
                                          as: UTF8.self))
            }
        }
    }
}
