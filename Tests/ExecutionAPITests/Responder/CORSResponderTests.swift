@testable import ExecutionAPI
import HTTPServer
import IsolationdTesting
import Testing

/// `server.cors` through the service's responder, over raw sockets: the preflight and the fields
/// of actual answers byte for byte (the `Date` field aside), for a listed origin, another origin,
/// no origin, `*`, and CORS off.
@Suite("CORS through the responder")
struct CORSResponderTests {
    static let page = "http://127.0.0.1:5173"

    static func responder(origins: [String]) -> APIResponder {
        var router = Router()
        router.get("/v1/things") { _ in
            HTTPResponse(status: .ok, contentType: "application/json", body: Array("{}".utf8))
        }
        router.post("/v1/things") { _ in
            HTTPResponse(status: .created, contentType: "application/json", body: Array("{}".utf8),
                         headers: ["Location": "/v1/things/1"])
        }
        return APIResponder(router: router, metrics: nil,
                            cors: CORSPolicy.service(allowedOrigins: origins, maxAgeSeconds: 600))
    }

    /// The head as received, without its `Date` line and the request id's value.
    static func head(_ response: RawHTTPResponse) -> [String] {
        response.rawHead.split(separator: "\r\n").map(String.init).filter { !$0.hasPrefix("Date:") }.map { line in
            line.hasPrefix("X-Request-ID:") ? "X-Request-ID: <id>" : line
        }
    }

    static func preflight(_ origin: String) -> [(String, String)] {
        [("Origin", origin), ("Access-Control-Request-Method", "POST"),
         ("Access-Control-Request-Headers", "authorization, content-type, idempotency-key")]
    }

    @Test("a preflight from a listed origin: 204 with the path's methods, the admitted headers and the max age")
    func permittedPreflight() async throws {
        try await withTestServer(responder: Self.responder(origins: [Self.page])) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let answer = try await client.request("OPTIONS", "/v1/things", headers: Self.preflight(Self.page))
            #expect(Self.head(answer) == [
                "HTTP/1.1 204 No Content",
                "Allow: GET, HEAD, POST, OPTIONS",
                "Access-Control-Allow-Origin: \(Self.page)",
                "Access-Control-Allow-Methods: GET, HEAD, POST, OPTIONS",
                "Access-Control-Allow-Headers: Authorization, Content-Type, Idempotency-Key, Last-Event-ID, X-Request-ID",
                "Access-Control-Max-Age: 600",
                "Vary: Origin",
                "X-Request-ID: <id>",
            ], "\(answer.rawHead)")
            #expect(answer.body.isEmpty)
        }
    }

    @Test("a preflight from another origin gets the plain 204: no CORS field")
    func refusedPreflight() async throws {
        try await withTestServer(responder: Self.responder(origins: [Self.page])) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let answer = try await client.request("OPTIONS", "/v1/things", headers: Self.preflight("http://127.0.0.1:5174"))
            #expect(Self.head(answer) == ["HTTP/1.1 204 No Content", "Allow: GET, HEAD, POST, OPTIONS", "Vary: Origin",
                                          "X-Request-ID: <id>"], "\(answer.rawHead)")
        }
    }

    @Test("actual answers: the listed origin may read them and their Location, Retry-After, X-Request-ID")
    func actualAnswers() async throws {
        try await withTestServer(responder: Self.responder(origins: [Self.page, "https://app.example.com"])) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let created = try await client.request("POST", "/v1/things", headers: [("Origin", Self.page)], body: Array("{}".utf8))
            #expect(created.status == 201)
            let fields = Self.head(created).filter { $0.hasPrefix("Access-Control-") || $0.hasPrefix("Vary") }
            #expect(fields == ["Access-Control-Allow-Origin: \(Self.page)",
                               "Access-Control-Expose-Headers: Location, Retry-After, X-Request-ID", "Vary: Origin"],
                    "\(created.rawHead)")
            #expect(!created.rawHead.contains("Access-Control-Allow-Credentials"))

            // A 404 the router makes is readable too (a page can see why it failed).
            let missing = try await client.request("GET", "/v1/nothing", headers: [("Origin", "https://app.example.com")])
            #expect(missing.status == 404)
            #expect(missing.header("Access-Control-Allow-Origin") == "https://app.example.com")

            for origin in ["http://127.0.0.1:5174", "null", "http://127.0.0.1:5173/"] {
                let other = try await client.request("GET", "/v1/things", headers: [("Origin", origin)])
                #expect(other.status == 200)
                #expect(Self.head(other).filter { $0.hasPrefix("Access-Control-") }.isEmpty, "\(origin): \(other.rawHead)")
                #expect(other.header("Vary") == "Origin")
            }
            let none = try await client.request("GET", "/v1/things")
            #expect(none.header("Access-Control-Allow-Origin") == nil)
            #expect(none.header("Vary") == "Origin")
        }
    }

    @Test("* answers * to every origin, with no Vary; CORS off adds nothing at all")
    func anyOriginAndOff() async throws {
        try await withTestServer(responder: Self.responder(origins: ["*"])) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let preflight = try await client.request("OPTIONS", "/v1/things", headers: Self.preflight("https://anywhere.example"))
            #expect(preflight.header("Access-Control-Allow-Origin") == "*")
            #expect(preflight.header("Access-Control-Allow-Methods") == "GET, HEAD, POST, OPTIONS")
            #expect(preflight.header("Vary") == nil)
            let actual = try await client.request("GET", "/v1/things", headers: [("Origin", "https://anywhere.example")])
            #expect(actual.header("Access-Control-Allow-Origin") == "*")
            #expect(actual.header("Access-Control-Expose-Headers") == "Location, Retry-After, X-Request-ID")
        }
        #expect(CORSPolicy.service(allowedOrigins: [], maxAgeSeconds: 600) == nil)
        try await withTestServer(responder: Self.responder(origins: [])) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let preflight = try await client.request("OPTIONS", "/v1/things", headers: Self.preflight(Self.page))
            #expect(Self.head(preflight) == ["HTTP/1.1 204 No Content", "Allow: GET, HEAD, POST, OPTIONS", "X-Request-ID: <id>"])
            let actual = try await client.request("GET", "/v1/things", headers: [("Origin", Self.page)])
            #expect(Self.head(actual).filter { $0.hasPrefix("Access-Control-") || $0.hasPrefix("Vary") }.isEmpty)
        }
    }
}
