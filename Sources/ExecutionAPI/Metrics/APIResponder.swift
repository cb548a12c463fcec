import HTTPServer

/// The service's responder: the router, with every answer counted by route template, method and
/// status (when metrics are on).
public struct APIResponder: HTTPResponder {
    public let router: Router
    public let metrics: HTTPMetrics?
    /// Templates without parameters by path: such a path is its own label, no second trie walk.
    private let staticRoutes: [String: Int]

    public init(router: Router, metrics: HTTPMetrics?) {
        self.router = router
        self.metrics = metrics
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

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard let metrics else { return router.respond(to: request) }
        let start = HTTPMetrics.now()
        let response = router.respond(to: request)
        let route = staticRoutes[request.path]
            ?? metrics.index(ofRoute: router.pattern(method: request.method, path: request.path) ?? HTTPMetrics.unmatched)
        metrics.record(routeIndex: route, method: request.method.rawValue, status: response.status.code,
                       nanoseconds: HTTPMetrics.now() &- start)
        return response
    }
}
