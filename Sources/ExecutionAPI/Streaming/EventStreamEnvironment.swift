import ExecutionCore
import HTTPServer

/// What the stream endpoints need, passed in (not reached for), so they are testable with a real
/// hub and server in-process.
public struct EventStreamEnvironment: Sendable {
    public var hub: EventHub
    public var authenticator: Authenticator
    /// Moves events to clients and times heartbeats (owned by the caller: `shutdown()` it after
    /// the HTTP server has drained).
    public var pump: EventStreamPump
    /// `streams` config: `retry_milliseconds` (heartbeats are the pump's; the per-user cap is the
    /// hub's `maxSubscribersPerUser`).
    public var settings: StreamSettings
    /// The caller's run with this id (`/v1/runs/{id}`), nil when it has none (another user's
    /// run is answered 404, as if it did not exist).
    public var findRun: @Sendable (_ runID: String, _ userID: String) -> RunSnapshot?
    /// Largest WebSocket message a client may send (its control messages are tiny).
    public var maxClientMessageBytes: Int

    public init(hub: EventHub, authenticator: Authenticator, pump: EventStreamPump, settings: StreamSettings,
                maxClientMessageBytes: Int = 16_384,
                findRun: @escaping @Sendable (_ runID: String, _ userID: String) -> RunSnapshot?) {
        self.hub = hub
        self.authenticator = authenticator
        self.pump = pump
        self.settings = settings
        self.maxClientMessageBytes = maxClientMessageBytes
        self.findRun = findRun
    }

    /// The environment for a factory's runs.
    public init(hub: EventHub, authenticator: Authenticator, pump: EventStreamPump, settings: StreamSettings,
                factory: ExecutionEngineFactory) {
        self.init(hub: hub, authenticator: authenticator, pump: pump, settings: settings) { runID, userID in
            factory.run(id: runID, userID: userID)
        }
    }
}
