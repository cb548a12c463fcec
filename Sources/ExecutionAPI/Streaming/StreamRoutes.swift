import HTTPServer

/// Registers the event stream routes:
/// - `GET /v1/events` — SSE, the caller's events (`thread_id`, `run_id`, `execution_id` filters;
///   `Last-Event-ID` header, `?last_event_id=` or `?after=` to resume);
/// - `GET /v1/runs/:id/events` — SSE, one run, ending after its terminal event;
/// - `GET /v1/events/ws` — WebSocket, the same envelopes as text frames.
///
/// They authenticate, name their run and answer 404 exactly as the REST routes do
/// (`APIRoutes.authenticated`, `APIRequest.owned`); the only difference is where a browser may
/// put its token (see `StreamCredentials`).
public enum StreamRoutes {
    public static let patterns = ["/v1/events", "/v1/events/ws", "/v1/runs/:id/events"]

    public static func install(on router: inout Router, environment: EventStreamEnvironment) {
        let sse = StreamCredentials.authenticated(environment.authenticator, webSocket: false)
        let webSocket = StreamCredentials.authenticated(environment.authenticator, webSocket: true)
        router.get("/v1/events", handler: sse { request throws(ProblemDetails) in
            try ServerSentEventsEndpoint.userEvents(request, environment)
        })
        router.get("/v1/runs/:id/events", handler: sse { request throws(ProblemDetails) in
            try ServerSentEventsEndpoint.runEvents(request, environment)
        })
        router.get("/v1/events/ws", handler: WebSocketEventsEndpoint.handshakeChecked(webSocket { request throws(ProblemDetails) in
            try WebSocketEventsEndpoint.events(request, environment)
        }))
    }
}

extension StreamRoutes {
    /// Installs the stream routes on `service`'s hub, authenticator, runs and `streams` settings;
    /// streams count into `counters`.
    public static func install(on router: inout Router, service: ExecutionService, counters: EventStreamCounters) {
        let environment = EventStreamEnvironment(hub: service.hub, authenticator: service.authenticator,
                                                 counters: counters, settings: service.streams, factory: service.factory,
                                                 journal: service.journal)
        install(on: &router, environment: environment)
    }
}
