import HTTPServer

/// The service's responder: the router, with every answer counted by route template, method and
/// status (when metrics are on).
public struct APIResponder: HTTPResponder {
    public let router: Router
    public let metrics: HTTPMetrics?
    /// Templates without parameters: a path equal to one is its own label, no second trie walk.
    private let staticPatterns: Set<String>

    public init(router: Router, metrics: HTTPMetrics?) {
        self.router = router
        self.metrics = metrics
        staticPatterns = Set(router.patterns.filter { !$0.contains(":") })
    }

    public func maxBodySize(method: HTTPMethod, path: String) -> Int? {
        router.maxBodySize(method: method, path: path)
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard let metrics else { return router.respond(to: request) }
        let start = HTTPMetrics.now()
        let response = router.respond(to: request)
        let route = staticPatterns.contains(request.path) ? request.path
            : router.pattern(method: request.method, path: request.path) ?? "unmatched"
        metrics.record(route: route, method: request.method.rawValue, status: response.status.code,
                       nanoseconds: HTTPMetrics.now() &- start)
        return response
    }
}
