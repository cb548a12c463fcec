import ExecutionAPI
import ExecutionCore
import HTTPServer
import IsolationdTesting
import Testing

/// RFC 9110 method semantics and the problem documents of the real binary, over raw sockets:
/// 405 with Allow, 501, OPTIONS, HEAD wherever GET is, nothing read of a refused body, one
/// problem type per kind with the request id as `instance`, and a page for every type.
@Suite("Methods and problems in the real binary")
struct MethodSemanticsBinaryTests {
    /// Headers that differ between two answers to the same request by nature.
    static let perAnswer: Set<String> = ["date", "x-request-id"]

    static func fields(_ response: RawHTTPResponse, ignoring: Set<String> = perAnswer) -> [String] {
        Array(response.headers).filter { !ignoring.contains($0.name.lowercased()) }.map { "\($0.name): \($0.value)" }
    }

    /// The problem's `instance` is the answer's X-Request-ID.
    static func expectInstance(_ response: RawHTTPResponse, _ what: String) throws {
        let id = try #require(response.header("X-Request-ID"), "\(what): no X-Request-ID")
        let json = try JSONValue.parse(response.body)
        #expect(json["instance"] == .string("urn:isolationd:request:" + id), "\(what): \(response.bodyText)")
    }

    @Test("405 with Allow, 501, OPTIONS 204, answered without reading a body; instance is X-Request-ID")
    func methods() async throws {
        let users = APITestConfiguration.users(1)
        let server = try await APITestConfiguration.start(users: users)
        defer { Task { await server.stop() } }
        let client = try await RawHTTPClient.connect(port: server.port)

        let trace = try await client.request("TRACE", "/livez")
        #expect(trace.status == 405)
        #expect(trace.header("Allow") == "GET, HEAD, OPTIONS")
        #expect(try JSONValue.parse(trace.body)["type"] == .string(ProblemType.methodNotAllowed.uri))
        try Self.expectInstance(trace, "TRACE /livez")
        // QUERY is a known method (schemathesis found it answered 501): 405 with Allow, probes too.
        let query = try await client.request("QUERY", "/livez")
        #expect(query.status == 405)
        #expect(query.header("Allow") == "GET, HEAD, OPTIONS")
        for method in ["FOO", "get"] {
            let unknown = try await client.request(method, "/livez")
            #expect(unknown.status == 501, "\(method)")
            #expect(unknown.header("Allow") == nil)
            #expect(try JSONValue.parse(unknown.body)["type"] == .string(ProblemType.notImplemented.uri))
            try Self.expectInstance(unknown, method)
        }
        let options = try await client.request("OPTIONS", "/livez")
        #expect(options.status == 204)
        #expect(options.header("Allow") == "GET, HEAD, OPTIONS")
        #expect(options.header("Content-Length") == nil)
        let engines = try await client.request("OPTIONS", "/v1/engines")
        #expect(engines.status == 204)
        #expect(engines.header("Allow") == "GET, HEAD, POST, OPTIONS")
        let everything = try await client.request("OPTIONS", "*")
        #expect(everything.status == 204)
        #expect(everything.header("Allow") == "GET, HEAD, POST, DELETE, OPTIONS")
        let wrong = try await client.request("DELETE", "/v1/engines", headers: [("Authorization", "Bearer \(users[0].key)")])
        #expect(wrong.status == 405)
        #expect(wrong.header("Allow") == "GET, HEAD, POST, OPTIONS")
        try Self.expectInstance(wrong, "DELETE /v1/engines")
        // The keep-alive connection went on through all of it.
        #expect(try await client.request("GET", "/livez").bodyText == #"{"status":"ok"}"#)

        // A refused request with a 1 MB body announced is answered at once (only its head was
        // sent), and the connection closes: nothing is left unread.
        for (method, target) in [("PUT", "/v1/engines"), ("FOO", "/v1/engines"), ("TRACE", "/livez")] {
            let large = try await RawHTTPClient.connect(port: server.port, timeout: .seconds(5))
            try await large.send("\(method) \(target) HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
            let answer = try await large.readResponse()
            #expect([405, 501].contains(answer.status), "\(method) \(target)")
            #expect(answer.header("Connection") == "close")
            #expect(await large.waitForClose(within: .seconds(5)))
        }
    }

    @Test("HEAD answers every GET route with GET's status and headers and no body")
    func headWhereverGet() async throws {
        let users = APITestConfiguration.users(1)
        let server = try await APITestConfiguration.start(users: users)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])
        let context = try await alice.createContext(thread: "thread-head")
        let engine = try await alice.createEngine(contextID: context)
        let run = try await alice.startRun(engineID: engine, agent: "echo")
        _ = try await alice.waitForTerminalRun(run)
        let auth = [("Authorization", "Bearer \(users[0].key)")]
        // (target, whether the body changes between two reads: then only its length may differ)
        let routes: [(String, Bool)] = [
            ("/livez", false), ("/healthz", false), ("/readyz", false), ("/readyz?verbose", false),
            ("/openapi.json", false), ("/problems", false), ("/problems/not-found", false), ("/metrics", true),
            ("/v1/agents", false), ("/v1/engines", false), ("/v1/engines/\(engine)", false),
            ("/v1/contexts/\(context)", false), ("/v1/contexts/\(context)/audit", true), ("/v1/runs/\(run)", false),
            ("/v1/factory", true), ("/v1/runs/unknown", false),
        ]
        let client = try await RawHTTPClient.connect(port: server.port)
        for (target, dynamic) in routes {
            let get = try await client.request("GET", target, headers: auth)
            let head = try await client.request("HEAD", target, headers: auth)
            #expect(head.status == get.status, "\(target)")
            #expect(head.body.isEmpty, "\(target)")
            let ignoring = dynamic ? Self.perAnswer.union(["content-length"]) : Self.perAnswer
            #expect(Self.fields(head, ignoring: ignoring) == Self.fields(get, ignoring: ignoring), "\(target)")
            if !dynamic { #expect(head.header("Content-Length") == String(get.body.count), "\(target)") }
            // The next answer on the connection parses: the HEAD answer carried no body bytes.
            let again = try await client.request("GET", target, headers: auth)
            #expect(again.status == get.status, "\(target)")
            // (A problem's body names its own request in `instance`: only its length repeats.)
            let isProblem = get.header("Content-Type") == "application/problem+json"
            if !dynamic { #expect(isProblem ? again.body.count == get.body.count : again.body == get.body, "\(target)") }
        }
    }

    @Test("every problem carries its type and the request id; a page describes every type")
    func problems() async throws {
        let users = APITestConfiguration.users(1)
        let server = try await APITestConfiguration.start(users: users)
        defer { Task { await server.stop() } }
        let client = try await RawHTTPClient.connect(port: server.port)
        let auth = [("Authorization", "Bearer \(users[0].key)")]
        // Two 404s of different layers (the router's, a lookup's) share one type.
        let cases: [(String, String, [(String, String)], ProblemType)] = [
            ("GET", "/nowhere", [], .notFound), ("GET", "/v1/contexts/unknown", auth, .notFound),
            ("GET", "/v1/engines", [], .unauthorized), ("TRACE", "/v1/engines", [], .methodNotAllowed),
        ]
        for (method, target, headers, type) in cases {
            let answer = try await client.request(method, target, headers: headers)
            #expect(answer.status == type.status.code, "\(method) \(target)")
            #expect(answer.header("Content-Type") == "application/problem+json")
            let json = try JSONValue.parse(answer.body)
            #expect(json["type"] == .string(type.uri), "\(method) \(target)")
            #expect(json["title"] == .string(type.title), "\(method) \(target)")
            try Self.expectInstance(answer, "\(method) \(target)")
        }
        // The server's own rejection of a malformed head, before any routing.
        try await client.send("GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
        let malformed = try await client.readResponse()
        #expect(malformed.status == 400)
        #expect(try JSONValue.parse(malformed.body)["type"] == .string(ProblemType.badRequest.uri))
        try Self.expectInstance(malformed, "malformed head")

        let pages = try await RawHTTPClient.connect(port: server.port)
        for type in ProblemType.all {
            let page = try await pages.request("GET", type.page)
            #expect(page.status == 200, "\(type.page)")
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.bodyText.contains(type.uri), "\(type.page)")
        }
    }
}
