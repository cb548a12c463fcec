/// The router's answers to requests no route takes (RFC 9110 §9.1, §9.3.7, §15.5.5, §15.5.6,
/// §15.6.2), made from the head alone.
extension Router {
    /// 501 for a method the server does not recognise (checked first: it holds for every path),
    /// `OPTIONS *`, 404 for an unknown path, OPTIONS on a known path, 405 for the rest.
    func answerWithoutRoute(_ request: HTTPRequest) -> HTTPResponse {
        let method = request.method
        guard isRecognised(method) else { return answer(MethodSemantics.notImplemented(method)) }
        if method == .options, request.path == "*" { return options(request, serverMethods) }
        guard let found = match(request.path) else {
            if let notFound { return notFound(request) }
            return completed(ProblemJSON(status: .notFound, detail: "no route matches the request path"))
        }
        let allowed = allowed(at: found.node)
        // OPTIONS goes to its hook, which may add to the 204 (CORS preflight).
        if method == .options { return options(request, allowed) }
        return answer(MethodSemantics.outcome(for: method, allowed: allowed, recognised: true))
    }

    private func answer(_ outcome: MethodSemantics.Outcome) -> HTTPResponse {
        switch outcome {
        case .answer(let response): response
        case .problem(let problem, let headers): completed(problem, headers: headers)
        }
    }

    /// Whether a request with `method` can be served by some route, or answered 405: the
    /// standard methods and any other a route was registered for.
    func isRecognised(_ method: HTTPMethod) -> Bool {
        method.isStandard || extensionMethods.contains(method)
    }

    /// What the path of `node` supports.
    func allowed(at node: Int) -> AllowedMethods {
        AllowedMethods(routed: nodes[node].routes.map(\.method))
    }

    /// Every method some path supports (the answer to `OPTIONS *`).
    public var serverMethods: AllowedMethods {
        AllowedMethods(routed: nodes.flatMap { $0.routes.map(\.method) })
    }

    /// The methods `path` supports (nil: no route has the path), for documentation and tests.
    public func allowedMethods(path: String) -> AllowedMethods? {
        match(path).map { allowed(at: $0.node) }
    }
}
