import HTTPServer

/// Registers the event stream routes:
/// - `GET /v1/events` — SSE, the caller's events (`thread_id`, `run_id`, `execution_id` filters;
///   `Last-Event-ID` header, `?last_event_id=` or `?after=` to resume);
/// - `GET /v1/runs/:id/events` — SSE, one run, ending after its terminal event;
/// - `GET /v1/events/ws` — WebSocket, the same envelopes as text frames.
public enum StreamRoutes {
    public static let patterns = ["/v1/events", "/v1/events/ws", "/v1/runs/:id/events"]

    public static func install(on router: inout Router, environment: EventStreamEnvironment) {
        router.get("/v1/events") { ServerSentEventsEndpoint.userEvents($0, environment) }
        router.get("/v1/runs/:id/events") { ServerSentEventsEndpoint.runEvents($0, environment) }
        router.get("/v1/events/ws") { WebSocketEventsEndpoint.events($0, environment) }
    }
}

extension StreamRoutes {
    /// Installs the stream routes on `service`'s hub, authenticator, runs and `streams` settings,
    /// with a pump made here (heartbeat from `streams.heartbeat_seconds`). The pump lives as long
    /// as the process: streams need it until the end of a drain. Returns it (for its statistics).
    @discardableResult
    public static func install(on router: inout Router, service: ExecutionService) -> EventStreamPump {
        let settings = service.streams
        // Clamped to a day: the setting is any positive number, and a Duration must not overflow.
        let seconds = min(max(settings.heartbeatSeconds, 0.01), 86_400)
        let pump = EventStreamPump(heartbeatInterval: .nanoseconds(Int64(seconds * 1e9)))
        let environment = EventStreamEnvironment(hub: service.hub, authenticator: service.authenticator, pump: pump,
                                                 settings: settings, factory: service.factory)
        install(on: &router, environment: environment)
        return pump
    }
}
