import HTTPServer
import IsolationdTesting
import Testing

/// Method semantics over raw sockets, byte for byte (the `Date` value aside): the built-in
/// probes and a router, HEAD beside GET on one keep-alive connection, and 405/501 answered from
/// the head without reading the body.
@Suite("Methods on the wire")
struct MethodWireTests {
    /// The head as received with the date value blanked.
    static func head(_ response: RawHTTPResponse) -> String {
        response.rawHead.split(separator: "\r\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("Date: ") ? "Date: *" : String(line)
        }.joined(separator: "\r\n")
    }

    static func problem(_ status: String, _ detail: String, code: Int, extra: String = "") -> (head: String, body: String) {
        let reason = String(status.drop { $0 != " " }.dropFirst())
        let body = #"{"detail":"\#(detail)","status":\#(code),"title":"\#(reason)","type":"about:blank"}"#
        return ("HTTP/1.1 \(status)\r\n\(extra)Content-Type: application/problem+json\r\nContent-Length: \(body.utf8.count)\r\nDate: *\r\n\r\n",
                body)
    }

    @Test("TRACE on a probe is 405 with Allow, FOO and get are 501; the connection goes on")
    func probeMethods() async throws {
        try await withTestServer(responder: RouterTests.sampleRouter()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let trace = try await client.request("TRACE", "/livez")
            let notAllowed = Self.problem("405 Method Not Allowed", "TRACE is not supported here; the path supports GET, HEAD, OPTIONS",
                                          code: 405, extra: "Allow: GET, HEAD, OPTIONS\r\n")
            #expect(Self.head(trace) == notAllowed.head)
            #expect(trace.bodyText == notAllowed.body)
            for method in ["FOO", "get"] {
                let unknown = try await client.request(method, "/healthz")
                let expected = Self.problem("501 Not Implemented",
                                            "the method \(method) is not implemented by this server (method names are case-sensitive)",
                                            code: 501)
                #expect(Self.head(unknown) == expected.head)
                #expect(unknown.bodyText == expected.body)
            }
            let options = try await client.request("OPTIONS", "/readyz")
            #expect(Self.head(options) == "HTTP/1.1 204 No Content\r\nAllow: GET, HEAD, OPTIONS\r\nDate: *\r\n\r\n")
            #expect(try await client.request("GET", "/livez").bodyText == #"{"status":"ok"}"#)
        }
    }

    @Test("OPTIONS on a routed path and OPTIONS * are 204 with Allow; TRACE there is 405")
    func routedOptions() async throws {
        try await withTestServer(responder: RouterTests.sampleRouter()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let path = try await client.request("OPTIONS", "/v1/contexts/7")
            #expect(Self.head(path) == "HTTP/1.1 204 No Content\r\nAllow: GET, HEAD, DELETE, OPTIONS\r\nDate: *\r\n\r\n")
            let server = try await client.request("OPTIONS", "*")
            #expect(Self.head(server) == "HTTP/1.1 204 No Content\r\nAllow: GET, HEAD, POST, DELETE, OPTIONS\r\nDate: *\r\n\r\n")
            let trace = try await client.request("TRACE", "/v1/contexts")
            #expect(trace.status == 405)
            #expect(trace.header("Allow") == "GET, HEAD, POST, OPTIONS")
            #expect(try await client.request("CONNECT", "/v1/contexts").status == 405)
        }
    }

    @Test("HEAD answers GET's status and headers without the body; the next response parses", arguments: [
        "/livez", "/healthz", "/readyz", "/livez?verbose", "/readyz?verbose", "/v1/contexts/42", "/",
    ])
    func headMatchesGet(_ target: String) async throws {
        try await withTestServer(responder: RouterTests.sampleRouter()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let get = try await client.request("GET", target)
            let head = try await client.request("HEAD", target)
            #expect(Self.head(head) == Self.head(get))
            #expect(head.header("Content-Length") == String(get.body.count))
            #expect(head.body.isEmpty)
            // Nothing of a body followed the HEAD answer: the next answer starts right there.
            let after = try await client.request("GET", target)
            #expect(Self.head(after) == Self.head(get))
            #expect(after.body == get.body)
        }
    }

    @Test("405 and 501 with a 1 MB body announced are answered at once and the connection closes")
    func largeBodyIsNotRead() async throws {
        try await withTestServer(responder: RouterTests.sampleRouter()) { port in
            for (method, target, status) in [("PUT", "/v1/contexts/1", 405), ("FOO", "/v1/contexts", 501),
                                             ("TRACE", "/livez", 405), ("POST", "/nowhere", 404)] {
                let client = try await RawHTTPClient.connect(port: port, timeout: .seconds(5))
                // Only the head is sent: an answer that waited for the body would never come.
                try await client.send("\(method) \(target) HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
                let answer = try await client.readResponse()
                #expect(answer.status == status, "\(method) \(target)")
                #expect(answer.header("Connection") == "close")
                #expect(await client.waitForClose(within: .seconds(5)))
            }
            let chunked = try await RawHTTPClient.connect(port: port, timeout: .seconds(5))
            try await chunked.send("PATCH /v1/contexts/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n")
            let answer = try await chunked.readResponse()
            #expect(answer.status == 405)
            #expect(answer.header("Connection") == "close")
        }
    }

    @Test("a small body of a 405 is skipped unread and the pipelined request behind it is answered")
    func smallBodyIsSkipped() async throws {
        try await withTestServer(responder: RouterTests.sampleRouter()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let body = String(repeating: "b", count: 3000)
            try await client.send("PUT /v1/contexts/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n\(body)"
                                  + "GET /v1/contexts/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            let refused = try await client.readResponse()
            #expect(refused.status == 405)
            #expect(refused.header("Connection") == nil)
            let next = try await client.readResponse()
            #expect(next.bodyText == "get 1")
        }
    }

    /// A responder that completes the server's own problems, as an application does.
    struct CompletingResponder: HTTPResponder {
        let router = RouterTests.sampleRouter()
        func respond(to request: HTTPRequest) -> HTTPResponse { router.respond(to: request) }
        func bodyHandling(method: HTTPMethod, path: String, headers: HTTPHeaders) -> RequestBodyHandling {
            router.bodyHandling(method: method, path: path)
        }
        func completeServerProblem(_ problem: inout ProblemJSON, headers: inout HTTPHeaders) {
            problem.type = "urn:test:\(problem.status.code)"
            problem.instance = "urn:test:request:1"
            headers.add("X-Request-ID", "1")
        }
    }

    @Test("the server's own problems (parse errors, a probe's 405) are completed by the responder")
    func serverProblemsAreCompleted() async throws {
        try await withTestServer(responder: CompletingResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let trace = try await client.request("TRACE", "/livez")
            #expect(trace.header("X-Request-ID") == "1")
            #expect(trace.bodyText.contains(#""instance":"urn:test:request:1""#))
            #expect(trace.bodyText.contains(#""type":"urn:test:405""#))
            try await client.send("GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
            let bad = try await client.readResponse()
            #expect(bad.status == 400)
            #expect(bad.header("X-Request-ID") == "1")
            #expect(bad.bodyText.contains(#""type":"urn:test:400""#))
        }
    }
}
