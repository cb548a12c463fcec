import HTTPServer

/// Gives the problems the HTTP layer makes by itself the service's types, so one kind of
/// problem has one `type` in every layer: the server's own rejections (400, 408, 413, 414, 417,
/// 431, 501, 503, 505), the router's 404, 405 and 501, and a probe path's 405 arrive as
/// `about:blank` and leave with the general type of their status (`ProblemType.forServerStatus`)
/// and its title, and with the request id as `instance`.
enum ServerProblemCompletion {
    /// `problem` with its type and title (when it had none) and `instance` for `requestID`.
    static func complete(_ problem: inout ProblemJSON, requestID: String?) {
        if problem.type == "about:blank", let type = ProblemType.forServerStatus(problem.status) {
            problem.type = type.uri
            problem.title = type.title
        }
        if problem.instance == nil, let requestID {
            problem.instance = ProblemDetails.instanceURI(requestID: requestID)
        }
    }

    /// For `Router.completeProblem`: the router answers inside `APIResponder.respond`, where the
    /// request's id is bound (and set as `X-Request-ID` on the answer).
    static let routerProblems: @Sendable (inout ProblemJSON, inout HTTPHeaders) -> Void = { problem, _ in
        complete(&problem, requestID: RequestID.current)
    }

    /// For `HTTPResponder.completeServerProblem`: a rejection made before any request was routed
    /// gets a new request id, in `instance` and in `X-Request-ID` alike, like every other answer.
    static func serverProblem(_ problem: inout ProblemJSON, headers: inout HTTPHeaders) {
        let id = RequestID.next()
        complete(&problem, requestID: id)
        headers.set(RequestID.header, id)
    }
}
