import HTTPServer

/// Stream routes authenticate exactly like the REST routes (`APIRoutes.authenticated`: the same
/// authenticator, the same 401 with its challenge); they only accept the bearer token in more
/// places, because a browser's `EventSource` and `WebSocket` cannot set `Authorization`:
/// - SSE: the header, else `?access_token=<token>`;
/// - WebSocket: the header, else the subprotocol list `bearer, <token>`, else `?access_token=`.
/// A request carrying the header is judged by the header alone.
enum StreamCredentials {
    /// Wraps stream handlers like `APIRoutes.authenticated` does, after moving a browser-carried
    /// token into the `Authorization` header.
    static func authenticated(_ authenticator: Authenticator,
                              webSocket: Bool) -> (@escaping APIHandler) -> Router.Handler {
        { handler in
            let authenticated = APIRoutes.authenticated(authenticator, handler)
            return { request in authenticated(withBearerHeader(request, webSocket: webSocket)) }
        }
    }

    /// `request`, with the token a browser put elsewhere as the `Authorization` header it could
    /// not send. Unchanged when it has the header or no such token.
    static func withBearerHeader(_ request: HTTPRequest, webSocket: Bool) -> HTTPRequest {
        guard !request.headers.contains("Authorization"), let token = browserToken(request, webSocket: webSocket) else {
            return request
        }
        var carrying = request
        carrying.headers.add("Authorization", "Bearer " + token)
        return carrying
    }

    private static func browserToken(_ request: HTTPRequest, webSocket: Bool) -> String? {
        if webSocket {
            let offered = WebSocketHandshake.offeredProtocols(request.headers)
            if let bearer = bearerIndex(offered), bearer + 1 < offered.count { return offered[bearer + 1] }
        }
        return request.queryItem("access_token")
    }

    /// The subprotocol a WebSocket upgrade selects: `bearer`, as the client spelled it, when offered.
    static func selectedSubprotocol(_ request: HTTPRequest) -> String? {
        let offered = WebSocketHandshake.offeredProtocols(request.headers)
        return bearerIndex(offered).map { offered[$0] }
    }

    private static func bearerIndex(_ offered: [String]) -> Int? {
        offered.firstIndex { $0.lowercased() == "bearer" }
    }
}
