import ExecutionCore
import HTTPServer

/// What the stream endpoints need, passed in (not reached for), so they are testable with a real
/// hub and server in-process.
public struct EventStreamEnvironment: Sendable {
    public var hub: EventHub
    public var authenticator: Authenticator
    /// Where streams count what they did (made by the caller, read by `/metrics`).
    public var counters: EventStreamCounters
    /// `streams` config: `retry_milliseconds`, `heartbeat_seconds` (the per-user cap is the hub's
    /// `maxSubscribersPerUser`).
    public var settings: StreamSettings
    /// The caller's run with this id (`/v1/runs/{id}`), nil when it has none (another user's
    /// run is answered 404, as if it did not exist).
    public var findRun: @Sendable (_ runID: String, _ userID: String) -> RunSnapshot?
    /// Largest WebSocket message a client may send (its control messages are tiny).
    public var maxClientMessageBytes: Int
    /// The shared run records (issue 13), where a run of another replica is found; nil in memory.
    public var journal: (any EventJournal)?

    public init(hub: EventHub, authenticator: Authenticator, counters: EventStreamCounters, settings: StreamSettings,
                maxClientMessageBytes: Int = 16_384,
                findRun: @escaping @Sendable (_ runID: String, _ userID: String) -> RunSnapshot?) {
        self.hub = hub
        self.authenticator = authenticator
        self.counters = counters
        self.settings = settings
        self.maxClientMessageBytes = maxClientMessageBytes
        self.findRun = findRun
    }

    /// The environment for a factory's runs, and the journal's when the service has one.
    public init(hub: EventHub, authenticator: Authenticator, counters: EventStreamCounters, settings: StreamSettings,
                factory: ExecutionEngineFactory, journal: (any EventJournal)? = nil) {
        self.init(hub: hub, authenticator: authenticator, counters: counters, settings: settings) { runID, userID in
            factory.run(id: runID, userID: userID)
        }
        self.journal = journal
    }

    /// How often a quiet SSE stream gets a `: ping` comment, and WebSocket peers a ping:
    /// `heartbeat_seconds`, clamped to 10 ms – one day (the setting is any positive number, and
    /// a Duration must not overflow).
    public var heartbeatInterval: Duration {
        let seconds = min(max(settings.heartbeatSeconds, 0.01), 86_400)
        return .nanoseconds(Int64(seconds * 1e9))
    }

    /// What the streams of `userID` share.
    func context(userID: String) -> EventStreamContext {
        EventStreamContext(hub: hub, userID: userID, counters: counters, heartbeatInterval: heartbeatInterval)
    }
}
