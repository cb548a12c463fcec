/// WebSocket upgrades (completed once the codecs land).
extension HTTPConnection {
    func acceptWebSocket(_ upgrade: WebSocketUpgrade, head: HTTPRequestHead, response: HTTPResponse) {
        answerError(.notImplemented, reason: "WebSocket is not available yet")
    }

    func webSocketReceived(_ bytes: UnsafeRawBufferPointer) {}
}
