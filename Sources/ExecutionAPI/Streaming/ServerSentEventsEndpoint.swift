import ExecutionCore
import HTTPServer

/// `GET /v1/events` and `GET /v1/runs/{id}/events` as Server-Sent Events.
///
/// The subscription is made while answering (so the per-user cap is a 429, not a broken stream),
/// and the response's writer is handed to it when the server starts the body. A `HEAD` request
/// is checked the same way but subscribes to nothing (the server sends no body for it).
enum ServerSentEventsEndpoint {
    static let contentType = "text/event-stream"

    /// The caller's events, optionally filtered.
    static func userEvents(_ request: HTTPRequest, _ environment: EventStreamEnvironment) -> HTTPResponse {
        do throws(ProblemDetails) {
            let principal = try StreamRequestParsing.principal(request, environment.authenticator)
            let filter = try StreamRequestParsing.filter(request)
            let after = try StreamRequestParsing.cursor(request)
            if request.method == .head { return response(body: .empty) }
            return try open(environment, userID: principal.userID, filter: filter, after: after, runStream: false) { false }
        } catch {
            return error.response()
        }
    }

    /// One run's events: replayed from the run's start while retained, ending after its terminal event.
    static func runEvents(_ request: HTTPRequest, _ environment: EventStreamEnvironment) -> HTTPResponse {
        do throws(ProblemDetails) {
            let principal = try StreamRequestParsing.principal(request, environment.authenticator)
            let runID = try StreamRequestParsing.validIdentifier(request.pathParameters["id"] ?? "", field: "id")
            let after = try StreamRequestParsing.cursor(request)
            let userID = principal.userID
            guard environment.findRun(runID, userID) != nil else { throw .notFound("no run with this id") }
            if request.method == .head { return response(body: .empty) }
            let findRun = environment.findRun
            return try open(environment, userID: userID, filter: EventFilter(executionID: runID), after: after,
                            runStream: true) { findRun(runID, userID)?.state.isTerminal ?? true }
        } catch {
            return error.response()
        }
    }

    private static func open(_ environment: EventStreamEnvironment, userID: String, filter: EventFilter, after: UInt64?,
                             runStream: Bool, runEnded: () -> Bool) throws(ProblemDetails) -> HTTPResponse {
        let bridge: EventStreamBridge
        do {
            bridge = try EventStreamBridge.open(hub: environment.hub, pump: environment.pump, userID: userID,
                                                filter: filter, after: after, runStream: runStream, runEnded: runEnded)
        } catch {
            throw StreamRequestParsing.problem(for: error, retryMilliseconds: environment.settings.retryMilliseconds)
        }
        let retry = environment.settings.retryMilliseconds
        return response(body: .stream(StreamingBody { writer in
            writer.onClose { _ in bridge.post(.clientClosed) }
            writer.onShutdown { bridge.post(.shutdown) }
            bridge.attach(ServerSentEventSink(writer: writer, retryMilliseconds: retry))
        }))
    }

    private static func response(body: ResponseBody) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: [
            "Content-Type": contentType,
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        ], body: body)
    }
}
