@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Testing

/// One type per kind of problem in every layer, each described at `/problems/{name}`, and the
/// request id as every problem's `instance`.
@Suite("Problem types")
struct ProblemTypeTests {
    @Test("names are unique slugs; every type has a title and a description")
    func table() {
        let names = ProblemType.all.map(\.name)
        #expect(Set(names).count == names.count)
        for type in ProblemType.all {
            #expect(!type.name.isEmpty && type.name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D }, "\(type.name)")
            #expect(type.uri == "urn:isolationd:problem:" + type.name)
            #expect(!type.title.isEmpty && type.summary.count > 20)
        }
    }

    @Test("every status the HTTP layer answers by itself has its general type")
    func serverStatuses() {
        let expected: [(HTTPStatus, String)] = [
            (.badRequest, "bad-request"), (.notFound, "not-found"), (.methodNotAllowed, "method-not-allowed"),
            (.requestTimeout, "request-timeout"), (.contentTooLarge, "content-too-large"), (.uriTooLong, "uri-too-long"),
            (.expectationFailed, "expectation-failed"), (.upgradeRequired, "upgrade-required"),
            (.requestHeaderFieldsTooLarge, "request-header-fields-too-large"), (.internalServerError, "internal-error"),
            (.notImplemented, "not-implemented"), (.serviceUnavailable, "service-unavailable"),
            (.httpVersionNotSupported, "http-version-not-supported"), (.tooManyRequests, "too-many-requests"),
        ]
        for (status, name) in expected {
            #expect(ProblemType.forServerStatus(status)?.name == name, "\(status)")
        }
    }

    @Test("GET /problems/{name} describes every type; GET /problems lists them; an unknown name is 404")
    func pages() async throws {
        let harness = try RouteHarness()
        for type in ProblemType.all {
            let (response, _) = harness.request(.get, type.page, key: nil)
            #expect(response.status == .ok, "\(type.name)")
            #expect(response.headers["Content-Type"] == "text/html; charset=utf-8")
            guard case .bytes(let body) = response.body else { Issue.record("no body"); continue }
            let page = String(decoding: body, as: UTF8.self)
            #expect(page.contains(type.uri) && page.contains(ProblemPages.escape(type.summary)))
        }
        let (index, _) = harness.request(.get, "/problems", key: nil)
        guard case .bytes(let body) = index.body else { Issue.record("no index"); return }
        let text = String(decoding: body, as: UTF8.self)
        for type in ProblemType.all { #expect(text.contains("href=\"/problems/\(type.name)\"")) }
        let missing = harness.request(.get, "/problems/no-such-thing", key: nil)
        #expect(missing.response.status == .notFound)
        #expect(missing.json?["type"] == .string(ProblemType.notFound.uri))
        #expect(ProblemPages.escape(#"<a href="x">&"#) == "&lt;a href=&quot;x&quot;&gt;&amp;")
        await harness.shutdown()
    }

    @Test("a router 404 and a lookup 404 share one type; 405 and 501 have theirs; instance is the request id")
    func oneTypeAcrossLayers() async throws {
        let harness = try RouteHarness()
        let responder = APIResponder(router: harness.router, metrics: nil)
        func answer(_ method: String, _ path: String) -> (HTTPResponse, JSONValue?) {
            var headers = HTTPHeaders()
            headers.add("Authorization", "Bearer \(RouteHarness.aliceKey)")
            let response = responder.respond(to: HTTPRequest(method: HTTPMethod(rawValue: method), target: path, headers: headers))
            guard case .bytes(let bytes) = response.body else { return (response, nil) }
            return (response, try? JSONValue.parse(bytes))
        }
        let cases: [(String, String, ProblemType)] = [
            ("GET", "/v1/nowhere", .notFound), ("GET", "/v1/contexts/unknown-id", .notFound),
            ("GET", "/v1/runs/unknown-id", .notFound), ("TRACE", "/v1/engines", .methodNotAllowed),
            ("get", "/v1/engines", .notImplemented), ("GET", "/v1/contexts/%zz", .badRequest),
        ]
        for (method, path, type) in cases {
            let (response, json) = answer(method, path)
            #expect(response.status == type.status, "\(method) \(path)")
            #expect(json?["type"] == .string(type.uri), "\(method) \(path)")
            #expect(json?["title"] == .string(type.title), "\(method) \(path)")
            let id = try #require(response.headers[RequestID.header])
            #expect(json?["instance"] == .string("urn:isolationd:request:" + id), "\(method) \(path)")
        }
        #expect(answer("TRACE", "/v1/engines").0.headers["Allow"] == "GET, HEAD, POST, OPTIONS")
        await harness.shutdown()
    }

    @Test("the server's own problems get the service's type, an instance and X-Request-ID")
    func serverProblems() async throws {
        let harness = try RouteHarness()
        let responder = APIResponder(router: harness.router, metrics: nil)
        var problem = ProblemJSON(status: .requestHeaderFieldsTooLarge, detail: "too many header fields")
        var headers = HTTPHeaders()
        responder.completeServerProblem(&problem, headers: &headers)
        let id = try #require(headers[RequestID.header])
        #expect(problem.type == ProblemType.requestHeaderFieldsTooLarge.uri)
        #expect(problem.title == ProblemType.requestHeaderFieldsTooLarge.title)
        #expect(problem.instance == ProblemDetails.instanceURI(requestID: id))
        #expect(problem.detail == "too many header fields")
        await harness.shutdown()
    }
}
