/// The data of a connection's `webSocket` state: the protocol machine, the session handed to
/// the application, the application's callbacks and the keep-alive clock. Loop thread only; a
/// class so the protocol machine is advanced in place.
final class WebSocketChannel {
    var machine: WebSocketServerProtocol
    let session: ConnectionWebSocketSession
    let upgrade: WebSocketUpgrade
    /// When our close frame went out (.max: not yet): the peer has `lingerOnClose` to answer.
    var closeSentAt: UInt64 = .max
    /// The close code received or sent, reported to `onClose`.
    var closeCode: UInt16?
    var closeReported = false
    /// Keep-alive (`upgrade.keepAliveInterval`): when the peer last sent anything, and when our
    /// unanswered ping went out (.max: none outstanding).
    var lastHeardAt: UInt64
    var pingSentAt: UInt64 = .max
    let keepAliveNanoseconds: UInt64?
    /// A pong waits in the output buffer, unsent: later pings go unanswered until the socket
    /// took it (cleared when the output drains, see `HTTPConnection.publishBacklog`).
    var pongOwed = false

    init(machine: WebSocketServerProtocol, session: ConnectionWebSocketSession, upgrade: WebSocketUpgrade, now: UInt64) {
        self.machine = machine
        self.session = session
        self.upgrade = upgrade
        self.lastHeardAt = now
        self.keepAliveNanoseconds = upgrade.keepAliveInterval?.saturatingNanoseconds
    }

    /// The next keep-alive deadline: a ping due, or the answer to one overdue.
    var keepAliveDeadline: (pingDue: Bool, at: UInt64)? {
        guard let interval = keepAliveNanoseconds else { return nil }
        return pingSentAt == .max ? (true, lastHeardAt &+ interval) : (false, pingSentAt &+ interval)
    }

    /// Anything from the peer shows it is there: the keep-alive starts over.
    func heardFromPeer(at now: UInt64) {
        lastHeardAt = now
        pingSentAt = .max
    }

    /// Calls the application's `onClose` once, with the code received or sent (1006 if none).
    func reportClose() {
        guard !closeReported else { return }
        closeReported = true
        session.outbox.end()
        upgrade.onClose(closeCode ?? WebSocketCloseCode.abnormalClosure)
    }
}
