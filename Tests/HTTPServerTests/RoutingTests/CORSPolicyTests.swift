import HTTPServer
import Testing

@Suite("CORS policy")
struct CORSPolicyTests {
    static let site = "http://127.0.0.1:5173"
    static let listed = CORSPolicy(origins: .exactly([site, "https://app.example.com"]),
                                   allowedHeaders: ["Authorization", "Content-Type"],
                                   exposedHeaders: ["Location", "X-Request-ID"], maxAgeSeconds: 600)
    static let anyOrigin = CORSPolicy(origins: .any, allowedHeaders: ["Authorization"], exposedHeaders: ["Location"],
                                      maxAgeSeconds: 5)

    static func preflight(origin: String?, method: String? = "POST") -> HTTPRequest {
        var headers: HTTPHeaders = [:]
        if let origin { headers.add("Origin", origin) }
        if let method { headers.add("Access-Control-Request-Method", method) }
        return HTTPRequest(method: .options, target: "/v1/things", headers: headers)
    }

    @Test("origins are accepted only as browsers serialize them", arguments: [
        ("http://127.0.0.1:5173", true), ("https://app.example.com", true), ("http://localhost", true),
        ("http://[::1]:8080", true), ("https://a-b.example.org:8443", true),
        ("*", false), ("null", false), ("app.example.com", false), ("https://app.example.com/", false),
        ("https://App.example.com", false), ("https://app.example.com/path", false), ("ftp://example.com", false),
        ("http://127.0.0.1:0", false), ("http://127.0.0.1:65536", false), ("http://127.0.0.1:080", false),
        ("http://example.com:80", false), ("https://example.com:443", false), ("http://user@example.com", false),
        ("http://", false), ("http://[::1", false), ("http://.example.com", false), ("http://example.com:", false),
    ])
    func serializedOrigins(origin: String, valid: Bool) {
        #expect(CORSPolicy.isSerializedOrigin(origin) == valid, "\(origin)")
    }

    @Test("a listed origin is echoed, any other and none get nothing; * answers * to all")
    func allowOrigin() {
        #expect(Self.listed.allowOriginValue(for: Self.site) == Self.site)
        #expect(Self.listed.allowOriginValue(for: "https://app.example.com") == "https://app.example.com")
        #expect(Self.listed.allowOriginValue(for: "http://127.0.0.1:5174") == nil)
        #expect(Self.listed.allowOriginValue(for: "HTTP://127.0.0.1:5173") == nil)
        #expect(Self.listed.allowOriginValue(for: nil) == nil)
        #expect(Self.anyOrigin.allowOriginValue(for: "https://elsewhere.example") == "*")
        #expect(Self.anyOrigin.allowOriginValue(for: nil) == "*")
    }

    @Test("a preflight is OPTIONS with Origin and Access-Control-Request-Method")
    func preflightRecognised() {
        #expect(CORSPolicy.isPreflight(Self.preflight(origin: Self.site)))
        #expect(!CORSPolicy.isPreflight(Self.preflight(origin: Self.site, method: nil)))
        #expect(!CORSPolicy.isPreflight(Self.preflight(origin: nil)))
        var get = Self.preflight(origin: Self.site)
        get.method = .get
        #expect(!CORSPolicy.isPreflight(get))
    }

    @Test("a permitted preflight gets 204, Allow, the path's methods, the admitted headers, the max age and Vary")
    func permittedPreflight() {
        let allowed = AllowedMethods(routed: [.get, .post])
        let response = Self.listed.answerOptions(Self.preflight(origin: Self.site), allowed: allowed)
        #expect(response.status == .noContent)
        let fields = Array(response.headers).map { "\($0.name): \($0.value)" }
        #expect(fields == ["Allow: GET, HEAD, POST, OPTIONS", "Access-Control-Allow-Origin: \(Self.site)",
                           "Access-Control-Allow-Methods: GET, HEAD, POST, OPTIONS",
                           "Access-Control-Allow-Headers: Authorization, Content-Type", "Access-Control-Max-Age: 600",
                           "Vary: Origin"])
        #expect(!response.headers.contains("Access-Control-Allow-Credentials"))
    }

    @Test("a preflight from another origin, or a plain OPTIONS, gets the plain 204 (and Vary)")
    func refusedPreflight() {
        let allowed = AllowedMethods(routed: [.get])
        for request in [Self.preflight(origin: "http://evil.example"), Self.preflight(origin: Self.site, method: nil),
                        Self.preflight(origin: nil)] {
            let response = Self.listed.answerOptions(request, allowed: allowed)
            #expect(response.status == .noContent)
            let fields = Array(response.headers).map { "\($0.name): \($0.value)" }
            #expect(fields == ["Allow: GET, HEAD, OPTIONS", "Vary: Origin"])
        }
        let any = Self.anyOrigin.answerOptions(Self.preflight(origin: "http://evil.example"), allowed: allowed)
        #expect(any.headers["Access-Control-Allow-Origin"] == "*")
        #expect(any.headers["Access-Control-Max-Age"] == "5")
        #expect(!any.headers.contains("Vary"))
    }

    @Test("actual answers: Allow-Origin and Expose-Headers for a permitted origin, Vary: Origin merged for all")
    func actualAnswers() {
        var permitted: HTTPHeaders = ["Vary": "Accept-Encoding"]
        Self.listed.addResponseFields(to: &permitted, origin: Self.site)
        #expect(permitted["Access-Control-Allow-Origin"] == Self.site)
        #expect(permitted["Access-Control-Expose-Headers"] == "Location, X-Request-ID")
        #expect(permitted.values("Vary") == ["Accept-Encoding, Origin"])

        var other: HTTPHeaders = [:]
        Self.listed.addResponseFields(to: &other, origin: "http://evil.example")
        #expect(Array(other).map(\.name) == ["Vary"])
        var twice: HTTPHeaders = ["Vary": "origin"]
        Self.listed.addResponseFields(to: &twice, origin: nil)
        #expect(twice.values("Vary") == ["origin"])

        var any: HTTPHeaders = [:]
        Self.anyOrigin.addResponseFields(to: &any, origin: nil)
        #expect(any["Access-Control-Allow-Origin"] == "*")
        #expect(any["Access-Control-Expose-Headers"] == "Location")
        #expect(!any.contains("Vary"))
    }
}
