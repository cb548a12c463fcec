import ExecutionCore
import HTTPServer

/// `GET /v1/events` and `GET /v1/runs/{id}/events` as Server-Sent Events (handlers behind
/// `StreamCredentials.authenticated`).
///
/// The subscription is made while answering (so the per-user cap is a 429, not a broken stream),
/// and handed the response's writer when the server starts the body. A `HEAD` request is checked
/// the same way but subscribes to nothing (the server sends no body for it).
enum ServerSentEventsEndpoint {
    static let contentType = "text/event-stream"

    /// The caller's events, optionally filtered.
    static func userEvents(_ request: APIRequest, _ environment: EventStreamEnvironment) throws(ProblemDetails) -> HTTPResponse {
        let filter = try StreamRequestParsing.filter(request.http)
        let after = try StreamRequestParsing.cursor(request.http)
        if request.http.method == .head { return response(body: .empty) }
        return try open(environment, userID: request.userID, filter: filter, after: after, runStream: false) { false }
    }

    /// One run's events: replayed from the run's start while retained, ending after its terminal
    /// event. An unknown id, a malformed one and another user's run are the REST routes' 404.
    static func runEvents(_ request: APIRequest, _ environment: EventStreamEnvironment) throws(ProblemDetails) -> HTTPResponse {
        let run = try request.owned(.run, environment.findRun)
        let after = try StreamRequestParsing.cursor(request.http)
        if request.http.method == .head { return response(body: .empty) }
        let (findRun, runID, userID) = (environment.findRun, run.id, request.userID)
        return try open(environment, userID: userID, filter: EventFilter(executionID: runID), after: after,
                        runStream: true) { findRun(runID, userID)?.state.isTerminal ?? true }
    }

    private static func open(_ environment: EventStreamEnvironment, userID: String, filter: EventFilter, after: UInt64?,
                             runStream: Bool, runEnded: () -> Bool) throws(ProblemDetails) -> HTTPResponse {
        let stream: EventStream
        do {
            stream = try EventStream.open(environment.context(userID: userID), filter: filter, after: after,
                                                runStream: runStream, runEnded: runEnded)
        } catch {
            throw StreamRequestParsing.problem(for: error, retryMilliseconds: environment.settings.retryMilliseconds)
        }
        let retry = environment.settings.retryMilliseconds
        // The server runs exactly one of the two, on the connection's loop: the subscription is
        // released either way, with no timer for a response that never started.
        return response(body: .stream(StreamingBody(start: { writer in
            stream.attach(ServerSentEventSink(writer: writer, retryMilliseconds: retry))
            writer.onClose { _ in stream.clientClosed() }
            writer.onShutdown { stream.serverShutdown() }
        }, notStarted: { stream.clientClosed() })))
    }

    private static func response(body: ResponseBody) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: [
            "Content-Type": contentType,
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        ], body: body)
    }
}
