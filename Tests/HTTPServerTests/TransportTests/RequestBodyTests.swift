import HTTPServer
import IsolationdTesting
import Testing

@Suite("Request bodies: Content-Length, chunked, 100-continue, limits")
struct RequestBodyTests {
    @Test func contentLengthBodyReachesTheResponder() async throws {
        try await withTestServer(responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let body = Array(repeating: UInt8(ascii: "z"), count: 200_000)
            let response = try await client.request("POST", "/upload", body: body)
            #expect(response.status == 200)
            #expect(response.body == Array("POST /upload\n".utf8) + body)
        }
    }

    @Test func chunkedBodyIsDecoded() async throws {
        try await withTestServer(responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            try await client.send("5\r\nhello\r\n")
            try await client.send("6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.bodyText == "POST /c\nhello world")
            // The connection stays usable.
            let next = try await client.request("GET", "/after")
            #expect(next.bodyText == "GET /after\n")
        }
    }

    @Test func continueIsSentOnlyForAnAcceptableBody() async throws {
        try await withTestServer(configuration: .testing { $0.maxBodyBytes = 100 }, responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.send("PUT /u HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            let interim = try await client.readResponse()
            #expect(interim.status == 100)
            try await client.send("data")
            let final = try await client.readResponse()
            #expect(final.status == 200)
            #expect(final.bodyText == "PUT /u\ndata")

            let refused = try await RawHTTPClient.connect(port: port)
            try await refused.send("PUT /u HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\nExpect: 100-continue\r\n\r\n")
            let answer = try await refused.readResponse()
            #expect(answer.status == 413)
            #expect(answer.header("Connection") == "close")
            #expect(await refused.waitForClose(within: .seconds(10)))
        }
    }

    @Test func responderBodyLimitAppliesPerPath() async throws {
        let responder = ClosureResponder(maxBodySize: { _, path in path == "/small" ? 3 : nil }) { request in
            HTTPResponse(status: .ok, contentType: "text/plain", body: request.body)
        }
        try await withTestServer(responder: responder) { port in
            let small = try await RawHTTPClient.connect(port: port)
            let refused = try await small.request("POST", "/small", body: Array("four".utf8))
            #expect(refused.status == 413)
            #expect(refused.header("Content-Type") == "application/problem+json")
            #expect(await small.waitForClose(within: .seconds(10)))

            let large = try await RawHTTPClient.connect(port: port)
            let accepted = try await large.request("POST", "/large", body: Array("four".utf8))
            #expect(accepted.bodyText == "four")
        }
    }

    @Test func chunkedBodyOverTheLimitIs413() async throws {
        try await withTestServer(configuration: .testing { $0.maxBodyBytes = 10 }, responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 413)
            #expect(await client.waitForClose(within: .seconds(10)))
        }
    }
}
