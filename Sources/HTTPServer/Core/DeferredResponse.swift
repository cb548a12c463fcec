/// A response completed later: the responder answers at once with this body, and the server
/// calls `start` with a `ResponseCompletion` right after `respond` returned, on the connection's
/// loop. The work behind the answer (a database round trip) runs wherever it likes and calls
/// `complete` once, from any thread; the loop never waits for it.
///
/// While the answer is awaited the connection reads no further request (pipelined requests stay
/// buffered, within a bounded amount, and are answered after it, in order), its idle and
/// request timers do not run, and the server's `deferredResponseTimeout` does: past it the
/// server answers 503 (`Retry-After: 1`, through `completeServerProblem`) and ignores the late
/// completion. A drain waits for it like for a stream, up to the drain deadline.
public struct DeferredResponse: Sendable {
    /// Runs once, on the connection's loop, right after the responder returned (unless the
    /// response was refused: a deferred response inside a completion is answered 500 and its
    /// `start` never runs). It may call `complete` inline.
    public var start: @Sendable (ResponseCompletion) -> Void

    public init(start: @escaping @Sendable (ResponseCompletion) -> Void) {
        self.start = start
    }

    /// The same deferred response, whatever is sent for it passed through `transform` first, on
    /// the loop, just before it is sent: what a layer that decorates every answer (a request id,
    /// CORS fields, an access-log line) wraps a deferred answer in, since the head around the
    /// deferred body is never sent. It sees the server's own 503 after the timeout too; wrapped
    /// several times, the innermost transform runs first.
    public func map(_ transform: @escaping @Sendable (HTTPResponse) -> HTTPResponse) -> DeferredResponse {
        let start = self.start
        return DeferredResponse { completion in
            completion.addTransform(transform)
            start(completion)
        }
    }
}

extension HTTPResponse {
    /// A response completed later through the `ResponseCompletion` that `start` receives (see
    /// `DeferredResponse`). The status and headers of this outer value are never sent: the
    /// completed response's are.
    public static func deferred(_ start: @escaping @Sendable (ResponseCompletion) -> Void) -> HTTPResponse {
        HTTPResponse(status: .ok, body: .deferred(DeferredResponse(start: start)))
    }
}
