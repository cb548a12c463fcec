import HTTPServer
import IsolationdTesting
import Testing

@Suite("Router")
struct RouterTests {
    static func text(_ value: String) -> HTTPResponse {
        HTTPResponse(status: .ok, contentType: "text/plain", body: Array(value.utf8))
    }

    static func sampleRouter() -> Router {
        var router = Router()
        router.get("/") { _ in text("root") }
        router.get("/v1/contexts") { _ in text("list") }
        router.post("/v1/contexts", maxBodySize: 10) { request in text("create \(request.body.count)") }
        router.get("/v1/contexts/:id") { request in text("get \(request.pathParameters["id"] ?? "-")") }
        router.delete("/v1/contexts/:id") { request in text("delete \(request.pathParameters["id"] ?? "-")") }
        router.get("/v1/contexts/:id/children") { request in text("children of \(request.pathParameters["id"] ?? "-")") }
        router.get("/v1/contexts/special") { _ in text("special") }
        router.get("/v1/users/:user/runs/:run") { request in
            text("\(request.pathParameters["user"] ?? "-")/\(request.pathParameters["run"] ?? "-")")
        }
        router.get("/v1/contexts/special/deep") { _ in text("deep") }
        router.get("/v1/contexts/:id/deeper") { _ in text("deeper") }
        return router
    }

    func respond(_ router: Router, _ method: HTTPMethod, _ target: String, body: [UInt8] = []) -> HTTPResponse {
        router.respond(to: HTTPRequest(method: method, target: target, body: body))
    }

    func bodyText(_ response: HTTPResponse) -> String {
        if case .bytes(let bytes) = response.body { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }

    @Test func literalRoutesMatchExactly() {
        let router = Self.sampleRouter()
        #expect(bodyText(respond(router, .get, "/")) == "root")
        #expect(bodyText(respond(router, .get, "/v1/contexts")) == "list")
        #expect(bodyText(respond(router, .get, "/v1/contexts?limit=5")) == "list")
        #expect(respond(router, .get, "/v1/contexts/").status.code == 404)
        #expect(respond(router, .get, "/v1").status.code == 404)
        #expect(respond(router, .get, "/v2/contexts").status.code == 404)
    }

    @Test func parametersAreCapturedAndDecoded() {
        let router = Self.sampleRouter()
        #expect(bodyText(respond(router, .get, "/v1/contexts/abc")) == "get abc")
        #expect(bodyText(respond(router, .get, "/v1/contexts/abc/children")) == "children of abc")
        #expect(bodyText(respond(router, .get, "/v1/contexts/a%20b")) == "get a b")
        #expect(bodyText(respond(router, .get, "/v1/users/alice/runs/r1")) == "alice/r1")
        #expect(respond(router, .get, "/v1/contexts/%zz").status.code == 400)
        #expect(respond(router, .get, "/v1/contexts//children").status.code == 404)
    }

    @Test func literalsWinOverParametersAndMatchingBacktracks() {
        let router = Self.sampleRouter()
        #expect(bodyText(respond(router, .get, "/v1/contexts/special")) == "special")
        #expect(bodyText(respond(router, .get, "/v1/contexts/special/deep")) == "deep")
        // "special" is a literal, but only the parameter branch has /deeper.
        #expect(bodyText(respond(router, .get, "/v1/contexts/special/deeper")) == "deeper")
        #expect(bodyText(respond(router, .get, "/v1/contexts/special/children")) == "children of special")
    }

    @Test func wrongMethodIs405WithAllow() {
        let router = Self.sampleRouter()
        let response = respond(router, .put, "/v1/contexts/abc")
        #expect(response.status.code == 405)
        // HTTPMethod.standard's order, HEAD wherever GET is, OPTIONS everywhere.
        #expect(response.headers["Allow"] == "GET, HEAD, DELETE, OPTIONS")
        #expect(response.headers["Content-Type"] == "application/problem+json")
        let collection = respond(router, .patch, "/v1/contexts")
        #expect(collection.headers["Allow"] == "GET, HEAD, POST, OPTIONS")
    }

    @Test func headFallsBackToGet() {
        let router = Self.sampleRouter()
        #expect(bodyText(respond(router, .head, "/v1/contexts/x")) == "get x")
        #expect(respond(router, .head, "/nothing").status.code == 404)
    }

    @Test func bodyLimitsArePerRoute() {
        let router = Self.sampleRouter()
        #expect(router.maxBodySize(method: .post, path: "/v1/contexts") == 10)
        #expect(router.maxBodySize(method: .get, path: "/v1/contexts") == nil)
        #expect(router.maxBodySize(method: .post, path: "/unknown") == nil)
    }

    @Test func laterRegistrationReplacesAndCustomNotFoundIsUsed() {
        var router = Self.sampleRouter()
        router.get("/") { _ in Self.text("replaced") }
        router.notFound = { _ in HTTPResponse(status: .notFound, contentType: "text/plain", body: Array("custom".utf8)) }
        #expect(bodyText(respond(router, .get, "/")) == "replaced")
        #expect(bodyText(respond(router, .get, "/missing")) == "custom")
        #expect(router.pattern(method: .get, path: "/v1/contexts/xyz/children") == "/v1/contexts/:id/children")
    }

    @Test func routerServesOverTheWire() async throws {
        try await withTestServer(responder: Self.sampleRouter()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/v1/contexts/42/children").bodyText == "children of 42")
            let notAllowed = try await client.request("PUT", "/v1/contexts/42", body: Array("{}".utf8))
            #expect(notAllowed.status == 405)
            #expect(notAllowed.header("Allow") == "GET, HEAD, DELETE, OPTIONS")
            let missing = try await client.request("GET", "/nope")
            #expect(missing.status == 404)
            let head = try await client.request("HEAD", "/v1/contexts/42")
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "6")
            let tooBig = try await client.request("POST", "/v1/contexts", body: Array(repeating: 1, count: 11))
            #expect(tooBig.status == 413)
        }
    }
}
