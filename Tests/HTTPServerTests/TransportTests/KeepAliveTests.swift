import HTTPServer
import IsolationdTesting
import Testing

@Suite("Keep-alive, pipelining, HTTP/1.0, Connection: close")
struct KeepAliveTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withTestServer(responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            for index in 0..<5 {
                let response = try await client.request("GET", "/item/\(index)")
                #expect(response.status == 200)
                #expect(response.bodyText == "GET /item/\(index)\n")
                #expect(response.header("Connection") == nil)
                #expect(response.header("Date")?.hasSuffix(" GMT") == true)
            }
            #expect(await client.waitForClose(within: .milliseconds(100)) == false)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withTestServer(responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let count = 20
            var batch = ""
            for index in 0..<count { batch += "GET /p/\(index) HTTP/1.1\r\nHost: x\r\n\r\n" }
            try await client.send(batch)
            for index in 0..<count {
                let response = try await client.readResponse()
                #expect(response.bodyText == "GET /p/\(index)\n")
            }
        }
    }

    @Test func pipelinedRequestsSplitAcrossWritesAtEveryByte() async throws {
        try await withTestServer(responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let bytes = Array("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            try await client.sendInPieces(bytes, pieceSize: 1, pause: .microseconds(500))
            let first = try await client.readResponse()
            let second = try await client.readResponse()
            #expect(first.bodyText == "POST /a\nabc")
            #expect(second.bodyText == "GET /b\n")
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withTestServer(responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/x", headers: [("Connection", "close")])
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(await client.waitForClose(within: .seconds(10)))
        }
    }

    @Test func http10ClosesByDefaultAndKeepsAliveWhenAsked() async throws {
        try await withTestServer(responder: echoResponder()) { port in
            let plain = try await RawHTTPClient.connect(port: port)
            let first = try await plain.request("GET", "/old", version: "HTTP/1.0")
            #expect(first.status == 200)
            #expect(first.version == "HTTP/1.1")
            #expect(first.header("Connection") == "close")
            #expect(await plain.waitForClose(within: .seconds(10)))

            let keeping = try await RawHTTPClient.connect(port: port)
            let kept = try await keeping.request("GET", "/old", headers: [("Connection", "keep-alive")], version: "HTTP/1.0")
            #expect(kept.header("Connection") == "keep-alive")
            let again = try await keeping.request("GET", "/again", headers: [("Connection", "keep-alive")], version: "HTTP/1.0")
            #expect(again.bodyText == "GET /again\n")
        }
    }

    @Test func responderConnectionCloseClosesAfterTheAnswer() async throws {
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, headers: ["Connection": "close"], body: .bytes(Array("bye".utf8)))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/")
            #expect(response.bodyText == "bye")
            #expect(response.headers.values("Connection") == ["close"])
            #expect(await client.waitForClose(within: .seconds(10)))
        }
    }

    @Test func headAnswersTheSameHeadersWithoutABody() async throws {
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, contentType: "text/plain", body: Array("twelve bytes".utf8), headers: ["X-Thing": "1"])
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let get = try await client.request("GET", "/r")
            let head = try await client.request("HEAD", "/r")
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "12")
            #expect(head.header("X-Thing") == "1")
            #expect(head.header("Content-Type") == get.header("Content-Type"))
            #expect(head.body.isEmpty)
            // No stray body bytes: the next answer on the connection parses cleanly.
            let after = try await client.request("GET", "/r")
            #expect(after.bodyText == "twelve bytes")
        }
    }

    @Test func countersCountAcceptedConnectionsAndRequests() async throws {
        try await withTestServer(responder: echoResponder()) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            _ = try await client.request("GET", "/1")
            _ = try await client.request("GET", "/2")
            let counters = server.counters
            #expect(counters.acceptedConnections == 1)
            #expect(counters.requestsServed == 2)
            #expect(counters.openConnections == 1)
            client.close()
            #expect(await eventually { server.counters.openConnections == 0 })
        }
    }
}

@Suite("Back-pressure on pipelined requests")
struct PipelineBackPressureTests {
    @Test func aSlowReaderOfManyPipelinedAnswersGetsThemAll() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.outboundBufferBytes = 2048 }
        let body = [UInt8](repeating: 66, count: 700)
        let responder = ClosureResponder { request in
            HTTPResponse(status: .ok, contentType: "text/plain", body: Array(request.path.utf8) + body)
        }
        try await withTestServer(configuration: configuration, responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let count = 60
            try await client.send((0..<count).map { "GET /\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
            try await Task.sleep(for: .milliseconds(100))
            for index in 0..<count {
                let response = try await client.readResponse()
                #expect(response.body == Array("/\(index)".utf8) + body)
            }
        }
    }

    @Test func headTimerOnAKeepAliveConnectionStartsWithTheFirstByte() async throws {
        let configuration = HTTPServerConfiguration.testing {
            // 3 s: the first head must arrive within it of the accept, and a loaded machine can
            // preempt the client between its connect and its send for a good part of a second.
            $0.timeouts.requestHead = .seconds(3)
            $0.timeouts.idle = .seconds(20)
        }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port, sending: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(try await client.readResponse().status == 200)
            try await Task.sleep(for: .milliseconds(3500))  // idle longer than the head timeout
            let started = ContinuousClock.now
            try await client.send("GET /partial HTTP/1.1\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(ContinuousClock.now - started >= .milliseconds(2900))
        }
    }
}
