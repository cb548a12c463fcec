/// The methods one path supports, as its `Allow` field lists them: the routed methods, HEAD
/// wherever GET is (RFC 9110 §9.3.2: a GET resource answers HEAD), and OPTIONS (answered on
/// every known path), in the order of `HTTPMethod.standard`, then any other method in the order
/// it was given. The order is stable, whatever order the routes were registered in.
public struct AllowedMethods: Sendable, Equatable {
    public let methods: [HTTPMethod]

    public init<Methods: Sequence<HTTPMethod>>(routed: Methods) {
        var present = Array(routed)
        if present.contains(.get) { present.append(.head) }
        present.append(.options)
        var ordered = HTTPMethod.standard.filter { present.contains($0) }
        for method in present where !method.isStandard && !ordered.contains(method) {
            ordered.append(method)
        }
        methods = ordered
    }

    /// The built-in probes (`/livez`, `/healthz`, `/readyz`): GET, HEAD, OPTIONS.
    public static let probe = AllowedMethods(routed: [.get])

    /// The value of the `Allow` field: "GET, HEAD, OPTIONS".
    public var fieldValue: String { methods.map(\.rawValue).joined(separator: ", ") }

    public func contains(_ method: HTTPMethod) -> Bool { methods.contains(method) }
}

/// RFC 9110's answers to a method a path has no route for (§9.1, §9.3.7, §15.5.6, §15.6.2):
///
/// - OPTIONS: 204 with `Allow` (what the path supports; a CORS preflight builds on this);
/// - a method the server recognises but the path does not support: 405 with `Allow`;
/// - a method the server does not recognise (any other token; method names are case-sensitive,
///   so `get` is one): 501, whatever the path.
///
/// Problems come out `about:blank`; the router and the server let the application complete
/// them (`Router.completeProblem`, `HTTPResponder.completeServerProblem`).
public enum MethodSemantics {
    public enum Outcome: Sendable {
        /// A success without a body (OPTIONS).
        case answer(HTTPResponse)
        /// A problem to complete, then answer with `headers`.
        case problem(ProblemJSON, headers: HTTPHeaders)
    }

    /// The answer to `method` on a path that supports `allowed` and has no route for `method`.
    /// `recognised`: the server knows the method (`HTTPMethod.isStandard`, or a route of any
    /// path registered it).
    public static func outcome(for method: HTTPMethod, allowed: AllowedMethods, recognised: Bool) -> Outcome {
        guard recognised else { return notImplemented(method) }
        if method == .options { return .answer(options(allowed)) }
        let problem = ProblemJSON(status: .methodNotAllowed,
                                  detail: "\(method.rawValue) is not supported here; the path supports \(allowed.fieldValue)")
        return .problem(problem, headers: ["Allow": allowed.fieldValue])
    }

    /// 501 for a method the server does not implement for any resource.
    public static func notImplemented(_ method: HTTPMethod) -> Outcome {
        let problem = ProblemJSON(status: .notImplemented,
                                  detail: "the method \(method.rawValue) is not implemented by this server (method names are case-sensitive)")
        return .problem(problem, headers: [:])
    }

    /// 204 with `Allow` (RFC 9110 §9.3.7): no content, so no Content-Length either (§8.6).
    public static func options(_ allowed: AllowedMethods) -> HTTPResponse {
        HTTPResponse(status: .noContent, headers: ["Allow": allowed.fieldValue])
    }
}
