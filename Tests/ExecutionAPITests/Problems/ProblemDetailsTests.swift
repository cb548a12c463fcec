@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Testing

@Suite("Problem details")
struct ProblemDetailsTests {
    @Test("renders RFC 9457 JSON with application/problem+json and the status")
    func rendering() throws {
        let problem = ProblemDetails("engine-limit", title: "Engine limit reached", status: .tooManyRequests,
                                     detail: "demo-alice already has 2 engines",
                                     extensions: ["limit": .integer(2), "type": .string("must not win")])
        var withInstance = problem
        withInstance.instance = "/v1/engines"
        let response = withInstance.response()
        #expect(response.status == .tooManyRequests)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        guard case .bytes(let body) = response.body else {
            Issue.record("expected a complete body")
            return
        }
        let json = try JSONValue.parse(body)
        #expect(json == .object([
            "type": .string("urn:isolationd:problem:engine-limit"), "title": .string("Engine limit reached"),
            "status": .integer(429), "detail": .string("demo-alice already has 2 engines"),
            "instance": .string("/v1/engines"), "limit": .integer(2),
        ]))
    }

    @Test("absent detail and instance are left out")
    func optionalMembers() {
        let json = ProblemDetails(type: "about:blank", title: "Not Found", status: .notFound).json
        #expect(json == .object(["type": .string("about:blank"), "title": .string("Not Found"), "status": .integer(404)]))
    }

    @Test("Retry-After is whole seconds, rounded up, at least one")
    func retryAfter() {
        #expect(ProblemDetails.tooManyRequests("slow down", retryAfter: 2.1).headers["Retry-After"] == "3")
        #expect(ProblemDetails.serviceUnavailable("draining", retryAfter: 0).headers["Retry-After"] == "1")
        #expect(ProblemDetails.serviceUnavailable("draining", retryAfter: 5).json["retry_after_seconds"] == .integer(5))
        #expect(ProblemDetails.serviceUnavailable("x", retryAfter: .infinity).headers["Retry-After"] == "1")
    }

    @Test("405 carries Allow; 422 names the field")
    func allowAndField() {
        let notAllowed = ProblemDetails.methodNotAllowed(allowed: [.get, .head])
        #expect(notAllowed.status == .methodNotAllowed)
        #expect(notAllowed.response().headers["Allow"] == "GET, HEAD")
        let invalid = ProblemDetails.validation(field: "thread_id", "thread_id must not be a placeholder")
        #expect(invalid.status.code == 422)
        #expect(invalid.json["field"] == .string("thread_id"))
        #expect(invalid.json["errors"]?.arrayValue?.first?["field"] == .string("thread_id"))
    }

    @Test("authentication errors become 401 with a Bearer challenge", arguments: [
        AuthError.missingCredentials, .malformedHeader, .malformedToken(reason: "bad"), .unknownAPIKey, .expired, .notYetValid,
        .badSignature, .wrongIssuer, .wrongAudience, .algorithmNotAllowed,
    ])
    func unauthorized(_ error: AuthError) throws {
        let response = ProblemDetails.unauthorized(error).response()
        #expect(response.status == .unauthorized)
        let challenge = try #require(response.headers["WWW-Authenticate"])
        #expect(challenge.hasPrefix(#"Bearer realm="isolationd""#))
        switch error {
        case .missingCredentials: #expect(challenge == #"Bearer realm="isolationd""#)
        case .malformedHeader: #expect(challenge.contains(#"error="invalid_request""#))
        default: #expect(challenge == #"Bearer realm="isolationd", error="invalid_token", error_description="\#(error.description)""#)
        }
        guard case .bytes(let body) = response.body else { return }
        #expect(try JSONValue.parse(body)["detail"] == .string(error.description))
    }

    @Test("challenge text is escaped for a quoted string")
    func challengeEscaping() {
        let challenge = AuthError.malformedToken(reason: "a \"quoted\\\" é\r\n").wwwAuthenticate()
        #expect(challenge.contains(#"a \"quoted\\\" ???"#))
        #expect(!challenge.contains("\r") && !challenge.contains("\n"))
    }
}
