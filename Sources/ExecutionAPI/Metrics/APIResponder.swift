import HTTPServer

/// The service's responder: the router, with every answer counted by route template, method and
/// status (when metrics are on).
public struct APIResponder: HTTPResponder {
    public let router: Router
    public let metrics: HTTPMetrics?

    public init(router: Router, metrics: HTTPMetrics?) {
        self.router = router
        self.metrics = metrics
    }

    public func maxBodySize(method: HTTPMethod, path: String) -> Int? {
        router.maxBodySize(method: method, path: path)
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard let metrics else { return router.respond(to: request) }
        let start = HTTPMetrics.now()
        let response = router.respond(to: request)
        let route = router.pattern(method: request.method, path: request.path) ?? "unmatched"
        metrics.record(route: route, method: request.method.rawValue, status: response.status.code,
                       nanoseconds: HTTPMetrics.now() &- start)
        return response
    }
}
