import HTTPServer
import Logging

/// The service's responder: the router, with every request given an id (`X-Request-ID`, bound
/// for log lines while it is routed), counted by route template, method and status (when metrics
/// are on), written to the access log (when `logging.access_log` is on), and given the CORS
/// fields of `server.cors` (when it is set; see `CORSPolicy.service`).
///
/// CORS is applied here, around the router, rather than in each route: every routed answer gets
/// it alike (successes, 401s and 404s too, so a page can read why it failed), and the router's
/// `options` hook answers preflights with the path's own `Allow` set. The server's own
/// rejections made before routing (400, 408, 413, 431, 503 while draining) and the built-in
/// probes carry none: a page has no use for them.
public struct APIResponder: HTTPResponder {
    public let router: Router
    public let metrics: HTTPMetrics?
    /// The one access log; nil: off.
    public let accessLog: AccessLog?
    /// Templates without parameters by path: such a path is its own label, no second trie walk.
    private let staticRoutes: [String: Int]
    /// Checks the credentials of a `/v1` request that announces a body, from its head: a
    /// refused one is answered (401) without its body ever being read. nil: not checked early.
    public let authenticator: Authenticator?
    /// Which other origins may read answers (nil: CORS off, no field is added).
    public let cors: CORSPolicy?

    /// `accessLog` is the logger the access lines go to (nil: no access log). `cors` also
    /// replaces the router's `options` hook, so preflights are answered by the policy.
    public init(router: Router, metrics: HTTPMetrics?, accessLog: Logger? = nil, authenticator: Authenticator? = nil,
                cors: CORSPolicy? = nil) {
        self.authenticator = authenticator
        var router = router
        if let cors {
            router.options = { request, allowed in cors.answerOptions(request, allowed: allowed) }
        }
        self.router = router
        self.cors = cors
        self.metrics = metrics
        self.accessLog = accessLog.map(AccessLog.init(logger:))
        var staticRoutes: [String: Int] = [:]
        if let metrics {
            for pattern in router.patterns where !pattern.contains(":") {
                staticRoutes[pattern] = metrics.index(ofRoute: pattern)
            }
        }
        self.staticRoutes = staticRoutes
    }

    public func maxBodySize(method: HTTPMethod, path: String) -> Int? {
        router.maxBodySize(method: method, path: path)
    }

    /// No work before authentication (issue 12, item 3): a request no route takes (404, 405,
    /// 501, OPTIONS) is answered unread, and so is a `/v1` request whose credentials are refused
    /// (its route's own authentication then answers 401 from the head, the same way it would
    /// have after the body). Only requests that announce a body are asked: the credential is
    /// checked once more when the accepted request is routed.
    public func bodyHandling(method: HTTPMethod, path: String, headers: HTTPHeaders) -> RequestBodyHandling {
        let handling = router.bodyHandling(method: method, path: path)
        guard case .read = handling, let authenticator, path.hasPrefix("/v1/") else { return handling }
        do throws(AuthError) {
            _ = try authenticator.authenticate(headers: headers)
            return handling
        } catch {
            return .answerWithoutBody
        }
    }

    /// The server's own rejections get the service's problem types and a request id.
    public func completeServerProblem(_ problem: inout ProblemJSON, headers: inout HTTPHeaders) {
        ServerProblemCompletion.serverProblem(&problem, headers: &headers)
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let id = RequestID.of(request)
        let start: Int64 = metrics != nil || accessLog != nil ? HTTPMetrics.now() : 0
        let response = RequestID.$current.withValue(id) { router.respond(to: request) }
        // An answer that comes later (a database round trip) is finished when it comes: timed,
        // counted and logged then, with the same headers.
        if case .deferred(let later) = response.body {
            return HTTPResponse(status: response.status, body: .deferred(later.map { [self] answer in
                finish(answer, to: request, id: id, start: start)
            }))
        }
        return finish(response, to: request, id: id, start: start)
    }

    /// The request id, CORS fields, request metrics and the access log line.
    private func finish(_ response: HTTPResponse, to request: HTTPRequest, id: String, start: Int64) -> HTTPResponse {
        var response = response
        if metrics != nil || accessLog != nil {
            let elapsed = HTTPMetrics.now() &- start
            if let metrics {
                let route = staticRoutes[request.path]
                    ?? metrics.index(ofRoute: router.pattern(method: request.method, path: request.path) ?? HTTPMetrics.unmatched)
                metrics.record(routeIndex: route, method: request.method.rawValue, status: response.status.code,
                               nanoseconds: elapsed)
            }
            accessLog?.record(request, id: id, response: response, nanoseconds: elapsed)
        }
        response.headers.set(RequestID.header, id)
        // A preflight's answer is complete from the options hook.
        if let cors, !CORSPolicy.isPreflight(request) {
            cors.addResponseFields(to: &response.headers, origin: request.headers["Origin"])
        }
        return response
    }
}
