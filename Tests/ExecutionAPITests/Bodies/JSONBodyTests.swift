@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Testing

@Suite("Strict JSON bodies")
struct JSONBodyTests {
    func request(_ body: String, contentType: String? = "application/json") -> HTTPRequest {
        var headers = HTTPHeaders()
        if let contentType { headers.add("Content-Type", contentType) }
        return HTTPRequest(method: .post, target: "/x", headers: headers, body: Array(body.utf8))
    }

    func problem(_ body: () throws -> Void) -> ProblemDetails? {
        do { try body(); return nil } catch { return error as? ProblemDetails }
    }

    @Test("application/json with parameters and any case is accepted; other types are 415")
    func mediaTypes() throws {
        for accepted in ["application/json", "Application/JSON", "application/json; charset=utf-8", " application/json "] {
            #expect(JSONBody.isJSONMediaType(accepted), "\(accepted)")
        }
        for refused in ["text/plain", "application/jsonx", "application/xml", "", "json"] {
            #expect(!JSONBody.isJSONMediaType(refused), "\(refused)")
        }
        #expect(problem { _ = try JSONBody.read(request("{}", contentType: nil)) }?.status == .unsupportedMediaType)
        #expect(problem { _ = try JSONBody.read(request("{}", contentType: "text/plain")) }?.status == .unsupportedMediaType)
    }

    @Test("malformed JSON is 400 with the parser's offset; non-objects are 400; empty bodies as required")
    func syntax() throws {
        let malformed = try #require(problem { _ = try JSONBody.read(request(#"{"a": 1,}"#)) })
        #expect(malformed.status == .badRequest)
        #expect(malformed.extensions["offset"] == .integer(8))
        #expect(malformed.detail?.contains("at byte 8") == true)
        #expect(problem { _ = try JSONBody.read(request("[]")) }?.detail == "the body must be a JSON object, not an array")
        #expect(problem { _ = try JSONBody.read(request("")) }?.status == .badRequest)
        #expect(try JSONBody.read(request("", contentType: nil), required: false).fields.isEmpty)
    }

    @Test("unknown, missing and wrongly typed members are 422 naming the member and the type")
    func members() throws {
        let body = try JSONBody.read(request(#"{"a": 1, "b": "x", "zz": true, "yy": null, "o": {"k": []}}"#))
        let unknown = try #require(problem { try body.refuseUnknown(allowed: ["a", "b", "o"]) })
        #expect(unknown.status == .unprocessableContent)
        #expect(unknown.extensions["field"] == .string("yy"))
        #expect(problem { _ = try body.requiredString("a") }?.detail == "'a' must be a string, not a number")
        #expect(problem { _ = try body.requiredString("a") }?.extensions["expected"] == .string("a string"))
        #expect(problem { _ = try body.requiredString("missing") }?.extensions["field"] == .string("missing"))
        #expect(problem { _ = try body.requiredString("yy") }?.detail == "'yy' is required (a string)")
        #expect(try body.optionalString("yy") == nil)
        #expect(try body.optionalString("b") == "x")
        #expect(problem { _ = try body.optionalObject("b") }?.detail == "'b' must be an object, not a string")
        #expect(try body.optionalObject("o") == ["k": .array([])])
        #expect(problem { _ = try body.optionalWord("b", default: BusyPolicy.enqueue) }?.detail
            == "'b' must be one of enqueue, reject, interrupt, not \"x\"")
        #expect(body.value("nothing", default: .integer(3)) == .integer(3))
    }
}
