@testable import HTTPServer
import Testing

/// The one writer of problem+json bodies.
@Suite("Problem documents")
struct ProblemJSONTests {
    static func text(_ problem: ProblemJSON) -> String { String(decoding: problem.bytes, as: UTF8.self) }

    @Test("the server's own problems are about:blank, titled with the reason phrase, members sorted")
    func serverProblem() {
        let problem = ProblemJSON(status: .requestHeaderFieldsTooLarge, detail: "the header block is too large")
        #expect(Self.text(problem)
                == #"{"detail":"the header block is too large","status":431,"title":"Request Header Fields Too Large","type":"about:blank"}"#)
    }

    @Test("extension members are written as given, sorted among the standard ones; absent members are left out")
    func extensions() {
        var problem = ProblemJSON(type: "urn:x:limit", title: "Limit", status: .tooManyRequests)
        problem.extensions = [.init(name: "limit", json: Array("2".utf8)),
                              .init(name: "active", json: Array(#"["r1"]"#.utf8))]
        #expect(Self.text(problem) == #"{"active":["r1"],"limit":2,"status":429,"title":"Limit","type":"urn:x:limit"}"#)
        problem.instance = "/v1/engines"
        #expect(Self.text(problem).contains(#""instance":"/v1/engines","limit":2"#))
    }

    @Test("an extension can never replace a standard member")
    func standardMembersWin() {
        var problem = ProblemJSON(status: .notFound, detail: "gone")
        problem.extensions = [.init(name: "type", json: Array(#""forged""#.utf8)),
                              .init(name: "status", json: Array("200".utf8))]
        #expect(Self.text(problem) == #"{"detail":"gone","status":404,"title":"Not Found","type":"about:blank"}"#)
    }

    @Test("strings are escaped: quotes, backslashes, control characters; other UTF-8 kept")
    func escaping() {
        let problem = ProblemJSON(status: .badRequest, detail: "a \"q\" \\ \n\r\t\u{01} é")
        #expect(Self.text(problem).hasPrefix(#"{"detail":"a \"q\" \\ \n\r\t\u0001 é","#))
    }

    @Test("the answer carries the content type, the status and the caller's headers")
    func response() {
        let answer = ProblemJSON(status: .methodNotAllowed, detail: "no").response(headers: ["Allow": "GET"])
        #expect(answer.status == .methodNotAllowed)
        #expect(answer.headers["Content-Type"] == "application/problem+json")
        #expect(answer.headers["Allow"] == "GET")
        guard case .bytes(let body) = answer.body else { Issue.record("no complete body"); return }
        #expect(body == ProblemJSON(status: .methodNotAllowed, detail: "no").bytes)
    }
}
