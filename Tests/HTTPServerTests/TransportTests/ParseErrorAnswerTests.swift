import HTTPServer
import IsolationdTesting
import Testing

/// Every parser rejection is answered with its status (never a silent close), then closed.
@Suite("Parse errors are answered, then the connection closes")
struct ParseErrorAnswerTests {
    static let cases: [(name: String, request: String, status: Int)] = [
        ("bare LF", "GET / HTTP/1.1\nHost: x\n\n", 400),
        ("missing Host", "GET / HTTP/1.1\r\n\r\n", 400),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400),
        ("CL and TE", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("unknown coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: zstd, chunked\r\n\r\n", 501),
        ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("Expect other", "POST / HTTP/1.1\r\nHost: x\r\nExpect: something\r\nContent-Length: 1\r\n\r\nx", 417),
        ("long target", "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("huge header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 17000) + "\r\n\r\n", 431),
        ("too many headers", "GET / HTTP/1.1\r\nHost: x\r\n" + (0..<120).map { "X-\($0): v\r\n" }.joined() + "\r\n", 431),
        ("oversize Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", 413),
        ("bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ]

    @Test(arguments: cases.indices)
    func errorIsAnsweredThenClosed(index: Int) async throws {
        let (name, request, status) = Self.cases[index]
        try await withTestServer(responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.send(request)
            let response = try await client.readResponse()
            #expect(response.status == status, "\(name)")
            #expect(response.header("Connection") == "close", "\(name)")
            #expect(response.header("Content-Type") == "application/problem+json", "\(name)")
            #expect(response.bodyText.contains("\"status\":\(status)"), "\(name)")
            #expect(await client.waitForClose(within: .seconds(10)), "\(name)")
        }
    }

    @Test func answersBeforeTheErrorAreKeptInOrder() async throws {
        try await withTestServer(responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /bad HTTP/1.1\nHost: x\n\n")
            let first = try await client.readResponse()
            let second = try await client.readResponse()
            #expect(first.status == 200)
            #expect(first.bodyText == "GET /ok\n")
            #expect(second.status == 400)
            #expect(await client.waitForClose(within: .seconds(10)))
        }
    }
}
