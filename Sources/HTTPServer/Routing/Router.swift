/// Routes requests by method and path pattern to handlers. A segment trie: literal segments
/// (`/v1/contexts`) and parameter segments (`:id`, captured into `request.pathParameters`,
/// percent-decoded). Literals win over parameters; matching backtracks when a literal branch
/// dead-ends. Paths match exactly: `/a/` is not `/a`.
///
/// Method semantics (RFC 9110 §9, `MethodSemantics`):
/// - HEAD is served by the GET route when there is no HEAD route (the server drops the body
///   and keeps the GET answer's headers, Content-Length included).
/// - A method the server does not recognise: 501, whatever the path.
/// - No route for the path: 404 (or the `notFound` handler).
/// - OPTIONS on a known path: the `options` handler (204 with `Allow`); `OPTIONS *`: 204 with
///   every method the server supports.
/// - A route for the path but not the method: 405 with `Allow`.
/// None of these needs the request body (`bodyHandling` says so, and the server never reads it).
///
/// Build it completely, then hand it to the server (it is a value; the server keeps its copy).
public struct Router: HTTPResponder {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    struct Route: Sendable {
        let pattern: String
        let parameterNames: [String]
        let maxBodySize: Int?
        let handler: Handler
    }

    struct Node: Sendable {
        var literals: [(segment: String, child: Int)] = []
        var parameterChild: Int?
        var routes: [(method: HTTPMethod, route: Route)] = []
    }

    private(set) var nodes = [Node()]
    /// Methods registered that are not `HTTPMethod.standard` (recognised, so not 501).
    private(set) var extensionMethods: [HTTPMethod] = []

    /// Answers requests to a path no route matches (nil: 404 problem+json, completed by
    /// `completeProblem`).
    public var notFound: Handler?

    /// Answers OPTIONS on a known path that has no OPTIONS route (default: 204 with `Allow`).
    /// The hook for CORS preflight: wrap it to add the `Access-Control-*` fields.
    public var options: @Sendable (HTTPRequest, AllowedMethods) -> HTTPResponse = { _, allowed in
        MethodSemantics.options(allowed)
    }

    /// Completes every problem the router makes by itself (404, 405, 501, a bad path parameter)
    /// before it is answered: they come as `about:blank`; an application gives them its own
    /// `type`, `title` and `instance` here (default: unchanged).
    public var completeProblem: @Sendable (inout ProblemJSON, inout HTTPHeaders) -> Void = { _, _ in }

    public init() {}

    /// Registers `handler` for `method` and `pattern` ("/v1/contexts/:id/children"). Segments
    /// starting with ":" are parameters. Registering the same method and pattern again replaces
    /// the earlier handler. `maxBodySize` overrides the server's default body limit for this route.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, maxBodySize: Int? = nil,
                             handler: @escaping Handler) {
        var node = 0
        var names: [String] = []
        for segment in Router.segments(of: pattern) {
            if segment.hasPrefix(":"), segment.count > 1 {
                names.append(String(segment.dropFirst()))
                if let child = nodes[node].parameterChild {
                    node = child
                } else {
                    nodes.append(Node())
                    nodes[node].parameterChild = nodes.count - 1
                    node = nodes.count - 1
                }
            } else if let existing = nodes[node].literals.first(where: { $0.segment == segment }) {
                node = existing.child
            } else {
                nodes.append(Node())
                nodes[node].literals.append((segment: String(segment), child: nodes.count - 1))
                node = nodes.count - 1
            }
        }
        if !method.isStandard, !extensionMethods.contains(method) { extensionMethods.append(method) }
        let route = Route(pattern: pattern, parameterNames: names, maxBodySize: maxBodySize, handler: handler)
        nodes[node].routes.removeAll { $0.method == method }
        nodes[node].routes.append((method: method, route: route))
    }

    public mutating func get(_ pattern: String, handler: @escaping Handler) { add(.get, pattern, handler: handler) }
    public mutating func post(_ pattern: String, maxBodySize: Int? = nil, handler: @escaping Handler) {
        add(.post, pattern, maxBodySize: maxBodySize, handler: handler)
    }
    public mutating func put(_ pattern: String, maxBodySize: Int? = nil, handler: @escaping Handler) {
        add(.put, pattern, maxBodySize: maxBodySize, handler: handler)
    }
    public mutating func patch(_ pattern: String, maxBodySize: Int? = nil, handler: @escaping Handler) {
        add(.patch, pattern, maxBodySize: maxBodySize, handler: handler)
    }
    public mutating func delete(_ pattern: String, handler: @escaping Handler) { add(.delete, pattern, handler: handler) }

    // MARK: HTTPResponder

    public func maxBodySize(method: HTTPMethod, path: String) -> Int? {
        guard let found = match(path), let route = route(at: found.node, for: method) else { return nil }
        return route.maxBodySize
    }

    /// A request no route takes is answered from its head: its body is never read.
    public func bodyHandling(method: HTTPMethod, path: String, headers: HTTPHeaders) -> RequestBodyHandling {
        bodyHandling(method: method, path: path)
    }

    /// `bodyHandling` by route alone.
    public func bodyHandling(method: HTTPMethod, path: String) -> RequestBodyHandling {
        guard let found = match(path), let route = route(at: found.node, for: method) else { return .answerWithoutBody }
        return .read(maxBytes: route.maxBodySize)
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard let found = match(request.path), let route = route(at: found.node, for: request.method) else {
            return answerWithoutRoute(request)
        }
        var request = request
        if !route.parameterNames.isEmpty {
            var parameters: [String: String] = [:]
            parameters.reserveCapacity(route.parameterNames.count)
            for (name, raw) in zip(route.parameterNames, found.values) {
                guard let value = PercentDecoding.decode(raw, plusAsSpace: false) else {
                    return completed(ProblemJSON(status: .badRequest,
                                                 detail: "path parameter '\(name)' is not valid percent-encoded UTF-8"))
                }
                parameters[name] = value
            }
            request.pathParameters = parameters
        }
        return route.handler(request)
    }

    /// The route templates registered, for documentation and metrics labels.
    public var patterns: [String] {
        nodes.flatMap { $0.routes.map(\.route.pattern) }
    }

    /// The template of the route that would serve `method` `path` (a metrics label without raw
    /// path values), or nil.
    public func pattern(method: HTTPMethod, path: String) -> String? {
        guard let found = match(path) else { return nil }
        return route(at: found.node, for: method)?.pattern
    }

    // MARK: matching

    func route(at node: Int, for method: HTTPMethod) -> Route? {
        let routes = nodes[node].routes
        if let exact = routes.first(where: { $0.method == method }) { return exact.route }
        if method == .head { return routes.first(where: { $0.method == .get })?.route }
        return nil
    }

    /// The node whose routes serve `path`, and the raw values of its parameter segments.
    func match(_ path: String) -> (node: Int, values: [Substring])? {
        guard path.utf8.first == UInt8(ascii: "/") else { return nil }
        var values: [Substring] = []
        let rest = path[path.index(after: path.startIndex)...]
        if rest.isEmpty {
            return nodes[0].routes.isEmpty ? nil : (0, values)
        }
        guard let node = walk(0, rest, &values) else { return nil }
        return (node, values)
    }

    /// Matches the segments of `rest` (no leading slash) from `node`; depth-first, literals first.
    private func walk(_ node: Int, _ rest: Substring, _ values: inout [Substring]) -> Int? {
        let slash = rest.utf8.firstIndex(of: UInt8(ascii: "/"))
        let segment = slash.map { rest[..<$0] } ?? rest
        let remainder: Substring? = slash.map { rest[rest.index(after: $0)...] }
        for literal in nodes[node].literals where literal.segment.utf8.elementsEqual(segment.utf8) {
            if let found = descend(literal.child, remainder, &values) { return found }
        }
        if let child = nodes[node].parameterChild, !segment.isEmpty {
            values.append(segment)
            if let found = descend(child, remainder, &values) { return found }
            values.removeLast()
        }
        return nil
    }

    private func descend(_ node: Int, _ remainder: Substring?, _ values: inout [Substring]) -> Int? {
        guard let remainder else { return nodes[node].routes.isEmpty ? nil : node }
        return walk(node, remainder, &values)
    }

    static func segments(of pattern: String) -> [Substring] {
        var trimmed = pattern[...]
        if trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        if trimmed.isEmpty { return [] }
        return trimmed.split(separator: "/", omittingEmptySubsequences: false)
    }

    /// `problem` completed by `completeProblem`, as an answer.
    func completed(_ problem: ProblemJSON, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var problem = problem
        var headers = headers
        completeProblem(&problem, &headers)
        return problem.response(headers: headers)
    }
}
