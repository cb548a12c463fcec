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
