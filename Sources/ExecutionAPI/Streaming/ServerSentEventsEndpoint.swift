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
    /// On a journal (issue 13), a run this replica does not hold is looked up in the shared
    /// records, and its events come from the journal like any other.
    static func runEvents(_ request: APIRequest, _ environment: EventStreamEnvironment) throws(ProblemDetails) -> HTTPResponse {
        let runID = try request.pathID(of: .run)
        let after = try StreamRequestParsing.cursor(request.http)
        let (findRun, userID) = (environment.findRun, request.userID)
        if findRun(runID, userID) != nil {
            if request.http.method == .head { return response(body: .empty) }
            return try open(environment, userID: userID, filter: EventFilter(executionID: runID), after: after,
                            runStream: true) { findRun(runID, userID)?.state.isTerminal ?? true }
        }
        guard let journal = environment.journal else { throw ProblemMapping.notFound(.run) }
        let isHead = request.http.method == .head
        return LaterAnswer.respond { answer in
            journal.findRun(id: runID, userID: userID) { result in
                switch result {
                case .success(let run?):
                    if isHead { return answer(.success(response(body: .empty))) }
                    // Ended then, or it ends with a terminal event the stream will see.
                    let ended = run.state.isTerminal
                    openWhenAnchored(environment, userID: userID, filter: EventFilter(executionID: runID), after: after,
                                     runStream: true, runEnded: { ended }, answer: answer)
                case .success(nil): answer(.failure(ProblemMapping.notFound(.run)))
                case .failure: answer(.failure(ProblemMapping.databaseUnavailable))
                }
            }
        }
    }

    /// In memory the response starts at once. On a journal it waits until the subscription is
    /// anchored (its replay read): a client that starts runs once the stream's headers came gets
    /// every event of them, whichever replica runs them.
    private static func open(_ environment: EventStreamEnvironment, userID: String, filter: EventFilter, after: UInt64?,
                             runStream: Bool, runEnded: () -> Bool) throws(ProblemDetails) -> HTTPResponse {
        guard environment.hub.hasJournal else {
            return streamResponse(try subscribe(environment, userID: userID, filter: filter, after: after, runStream: runStream,
                                                ready: nil, runEnded: runEnded), environment)
        }
        return LaterAnswer.respond { answer in
            openWhenAnchored(environment, userID: userID, filter: filter, after: after, runStream: runStream,
                             runEnded: runEnded, answer: answer)
        }
    }

    private static func openWhenAnchored(_ environment: EventStreamEnvironment, userID: String, filter: EventFilter,
                                         after: UInt64?, runStream: Bool, runEnded: () -> Bool,
                                         answer: @escaping LaterAnswer.Answer) {
        let gate = AnchorGate(answer)
        do throws(ProblemDetails) {
            let stream = try subscribe(environment, userID: userID, filter: filter, after: after, runStream: runStream,
                                       ready: { gate.anchored() }, runEnded: runEnded)
            gate.opened(streamResponse(stream, environment))
        } catch {
            answer(.failure(error))
        }
    }

    private static func subscribe(_ environment: EventStreamEnvironment, userID: String, filter: EventFilter, after: UInt64?,
                                  runStream: Bool, ready: (@Sendable () -> Void)?,
                                  runEnded: () -> Bool) throws(ProblemDetails) -> EventStream {
        do {
            return try EventStream.open(environment.context(userID: userID), filter: filter, after: after,
                                        runStream: runStream, ready: ready, runEnded: runEnded)
        } catch {
            throw StreamRequestParsing.problem(for: error, retryMilliseconds: environment.settings.retryMilliseconds)
        }
    }

    private static func streamResponse(_ stream: EventStream, _ environment: EventStreamEnvironment) -> HTTPResponse {
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
