import HTTPServer
import Testing

/// RFC 9110 §9 in the router, without sockets: 501 for unrecognised methods, 405 with a stable
/// `Allow`, OPTIONS (and `OPTIONS *`) 204, and every such answer decided from the head.
@Suite("Router: method semantics")
struct MethodSemanticsTests {
    func respond(_ router: Router, _ method: String, _ target: String) -> HTTPResponse {
        router.respond(to: HTTPRequest(method: HTTPMethod(rawValue: method), target: target))
    }

    func problemText(_ response: HTTPResponse) -> String {
        if case .bytes(let bytes) = response.body { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }

    @Test("Allow follows HTTPMethod.standard whatever the registration order, HEAD with GET, OPTIONS always")
    func allowOrder() {
        #expect(AllowedMethods(routed: [.delete, .post, .get]).fieldValue == "GET, HEAD, POST, DELETE, OPTIONS")
        #expect(AllowedMethods(routed: [.post]).fieldValue == "POST, OPTIONS")
        #expect(AllowedMethods(routed: [HTTPMethod(rawValue: "BREW"), .put]).fieldValue == "PUT, OPTIONS, BREW")
        #expect(AllowedMethods.probe.fieldValue == "GET, HEAD, OPTIONS")
    }

    @Test("a known method the path does not support is 405 with Allow, for every standard method")
    func notAllowed() {
        let router = RouterTests.sampleRouter()
        // QUERY (draft-ietf-httpbis-safe-method-w-body) is known too: schemathesis sends it to
        // every path and found it answered 501 where a known method is 405 with Allow.
        for method in ["POST", "PUT", "PATCH", "DELETE", "CONNECT", "TRACE", "QUERY"] {
            let response = respond(router, method, "/v1/contexts/abc/children")
            #expect(response.status == .methodNotAllowed, "\(method)")
            #expect(response.headers["Allow"] == "GET, HEAD, OPTIONS", "\(method)")
            #expect(response.headers["Content-Type"] == ProblemJSON.contentType)
        }
        #expect(respond(router, "HEAD", "/v1/contexts").status == .ok)
    }

    @Test("an unrecognised method is 501 on every path, lower-case get included; a registered one is not")
    func notImplemented() {
        var router = RouterTests.sampleRouter()
        for method in ["FOO", "get", "Get", "PROPFIND", "BREW"] {
            for path in ["/v1/contexts", "/nowhere", "/v1/contexts/abc"] {
                let response = respond(router, method, path)
                #expect(response.status == .notImplemented, "\(method) \(path)")
                #expect(response.headers["Allow"] == nil)
                #expect(problemText(response).contains(#""type":"about:blank""#))
            }
        }
        router.add(HTTPMethod(rawValue: "BREW"), "/pot") { _ in HTTPResponse(status: .ok) }
        #expect(respond(router, "BREW", "/pot").status == .ok)
        // Recognised now: elsewhere 405 (or 404), no longer 501.
        #expect(respond(router, "BREW", "/v1/contexts").status == .methodNotAllowed)
        #expect(respond(router, "BREW", "/nowhere").status == .notFound)
        #expect(respond(router, "FOO", "/pot").status == .notImplemented)
    }

    @Test("OPTIONS answers 204 with Allow on a known path, 404 elsewhere; OPTIONS * lists every method")
    func options() {
        let router = RouterTests.sampleRouter()
        let known = respond(router, "OPTIONS", "/v1/contexts/abc")
        #expect(known.status == .noContent)
        #expect(known.headers["Allow"] == "GET, HEAD, DELETE, OPTIONS")
        guard case .empty = known.body else { Issue.record("OPTIONS has a body"); return }
        #expect(respond(router, "OPTIONS", "/nowhere").status == .notFound)
        let server = respond(router, "OPTIONS", "*")
        #expect(server.status == .noContent)
        #expect(server.headers["Allow"] == "GET, HEAD, POST, DELETE, OPTIONS")
        #expect(router.allowedMethods(path: "/v1/contexts")?.fieldValue == "GET, HEAD, POST, OPTIONS")
        #expect(router.allowedMethods(path: "/nowhere") == nil)
    }

    @Test("the options hook replaces the 204 (for CORS), an OPTIONS route wins over it")
    func optionsHook() {
        var router = RouterTests.sampleRouter()
        router.options = { request, allowed in
            var response = MethodSemantics.options(allowed)
            response.headers.add("X-Preflight", request.path)
            return response
        }
        #expect(respond(router, "OPTIONS", "/v1/contexts").headers["X-Preflight"] == "/v1/contexts")
        router.add(.options, "/v1/contexts") { _ in HTTPResponse(status: .ok) }
        #expect(respond(router, "OPTIONS", "/v1/contexts").status == .ok)
    }

    @Test("completeProblem sees every problem the router makes by itself, with its headers")
    func problemsAreCompleted() {
        var router = RouterTests.sampleRouter()
        router.completeProblem = { problem, headers in
            problem.type = "urn:test:\(problem.status.code)"
            problem.instance = "urn:test:instance"
            headers.add("X-Completed", "yes")
        }
        let cases: [(String, String, Int)] = [("PUT", "/v1/contexts", 405), ("FOO", "/v1/contexts", 501),
                                              ("GET", "/nowhere", 404), ("GET", "/v1/contexts/%zz", 400)]
        for (method, path, status) in cases {
            let response = respond(router, method, path)
            #expect(response.status.code == status)
            #expect(response.headers["X-Completed"] == "yes", "\(method) \(path)")
            let text = problemText(response)
            #expect(text.contains(#""type":"urn:test:\#(status)""#), "\(text)")
            #expect(text.contains(#""instance":"urn:test:instance""#))
        }
        #expect(respond(router, "PUT", "/v1/contexts").headers["Allow"] == "GET, HEAD, POST, OPTIONS")
    }

    @Test("a body is read only for a route that takes it; 404, 405, 501 and OPTIONS are answered from the head")
    func bodyHandling() {
        let router = RouterTests.sampleRouter()
        #expect(router.bodyHandling(method: .post, path: "/v1/contexts") == .read(maxBytes: 10))
        #expect(router.bodyHandling(method: .get, path: "/v1/contexts") == .read(maxBytes: nil))
        #expect(router.bodyHandling(method: .put, path: "/v1/contexts") == .answerWithoutBody)
        #expect(router.bodyHandling(method: .options, path: "/v1/contexts") == .answerWithoutBody)
        #expect(router.bodyHandling(method: HTTPMethod(rawValue: "FOO"), path: "/v1/contexts") == .answerWithoutBody)
        #expect(router.bodyHandling(method: .post, path: "/nowhere") == .answerWithoutBody)
    }
}
