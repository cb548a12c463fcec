/// The pool's LISTENs: the handlers per channel and the dedicated connection that holds them
/// (made on the first `listen`). Loop thread only.
struct ListenSubscriptions {
    var listener: PostgresConnection?
    var handlers: [String: [@Sendable (String) -> Void]] = [:]
    /// Called each time the listener's LISTENs are (again) in place, so their owners re-read
    /// what they may have missed while none was.
    var onListening: [@Sendable () -> Void] = []
}

extension PoolCore {
    /// The channels the listener must LISTEN on after it (re)connects.
    var listenedChannels: [String] { subscriptions.handlers.keys.sorted() }

    func listen(channel: String, onListening: (@Sendable () -> Void)?, onNotification: @escaping @Sendable (String) -> Void) {
        let isNewChannel = subscriptions.handlers[channel] == nil
        subscriptions.handlers[channel, default: []].append(onNotification)
        if let onListening { subscriptions.onListening.append(onListening) }
        guard let listener = subscriptions.listener else {
            let listener = PostgresConnection(role: .listener, pool: self)
            subscriptions.listener = listener
            listener.connect()
            return
        }
        guard listener.state == .ready else { return }
        if isNewChannel {
            listener.pipeline.unsentCommands.append(.listen(channel: channel))
            markDirty(listener)
        } else if listener.listensAwaited == 0 {
            // Already listening on it: this subscriber is in place at once.
            onListening?()
        }
    }

    /// Every LISTEN sent since the listener (re)connected is in place.
    func listenerIsListening() {
        for handler in subscriptions.onListening { handler() }
    }

    func deliver(channel: String, payload: String) {
        guard let handlers = subscriptions.handlers[channel] else { return }
        statistics.countNotification()
        for handler in handlers { handler(payload) }
    }
}
