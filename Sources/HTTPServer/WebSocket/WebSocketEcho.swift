/// A WebSocket echo: every message comes back as it arrived (text as text, binary as binary,
/// fragments reassembled first). External RFC 6455 test suites (Autobahn|Testsuite's fuzzing
/// client) drive a server through such an endpoint; the protocol they check is the server's own
/// (`WebSocketServerProtocol`: framing, masking, UTF-8, fragmentation, ping/pong, close
/// handshake, limits), so the echo adds nothing but the echoing.
public enum WebSocketEcho {
    /// The upgrade for one echo session. `maxMessageBytes` and `keepAliveInterval` are the
    /// application's usual WebSocket limits (a larger message closes with 1009); echoes go
    /// through the connection's bounded outbound buffer like any other frame, and a peer that
    /// does not read its echoes is closed with 1008 (policy violation) instead of buffering.
    public static func upgrade(maxMessageBytes: Int, keepAliveInterval: Duration?) -> WebSocketUpgrade {
        WebSocketUpgrade(
            maxMessageBytes: maxMessageBytes, keepAliveInterval: keepAliveInterval,
            onOpen: { _ in },
            onMessage: { session, message in
                let result: StreamWriteResult
                switch message {
                case .text(let text): result = session.send(text: text)
                case .binary(let bytes): result = session.send(binary: bytes)
                }
                if result == .overflow {
                    session.close(code: WebSocketCloseCode.policyViolation, reason: "echoes not read")
                }
            },
            onClose: { _ in })
    }

    /// The answer to a request on the echo path: the upgrade, or the handshake's refusal (400 or
    /// 426 as problem+json, completed by the router's `completeProblem` like its other answers).
    public static func respond(to request: HTTPRequest, maxMessageBytes: Int, keepAliveInterval: Duration?,
                               completeProblem: @Sendable (inout ProblemJSON, inout HTTPHeaders) -> Void) -> HTTPResponse {
        if case .failure(let refusal) = WebSocketHandshake.validate(method: request.method, version: request.version,
                                                                   headers: request.headers) {
            var problem = ProblemJSON(status: refusal.status, detail: refusal.reason)
            var headers = refusal.headers
            completeProblem(&problem, &headers)
            return problem.response(headers: headers)
        }
        return HTTPResponse(status: .switchingProtocols,
                            body: .webSocket(upgrade(maxMessageBytes: maxMessageBytes, keepAliveInterval: keepAliveInterval)))
    }
}
