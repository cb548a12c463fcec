import HTTPServer
import IsolationdTesting
import Testing

@Suite("Connection limit")
struct ConnectionLimitTests {
    @Test func connectionsOverTheLimitAreAnswered503AndClosed() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.maxConnections = 2 }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { server, port in
            let first = try await RawHTTPClient.connect(port: port)
            let second = try await RawHTTPClient.connect(port: port)
            #expect(try await first.request("GET", "/1").status == 200)
            #expect(try await second.request("GET", "/2").status == 200)

            let third = try await RawHTTPClient.connect(port: port)
            let refused = try await third.readResponse()
            #expect(refused.status == 503)
            #expect(refused.header("Connection") == "close")
            #expect(refused.header("Retry-After") == "1")
            #expect(await third.waitForClose(within: .seconds(10)))
            #expect(server.counters.rejectedConnections == 1)

            // The admitted connections still work, and a slot frees up when one closes.
            #expect(try await first.request("GET", "/again").status == 200)
            second.close()
            #expect(await eventually { server.counters.openConnections == 1 })
            let fourth = try await RawHTTPClient.connect(port: port)
            #expect(try await fourth.request("GET", "/4").status == 200)
        }
    }

    @Test func aRejectedClientThatAlreadySentItsRequestStillReadsThe503() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.maxConnections = 1 }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { port in
            let holder = try await RawHTTPClient.connect(port: port)
            #expect(try await holder.request("GET", "/").status == 200)
            for _ in 0..<5 {
                let extra = try await RawHTTPClient.connect(port: port)
                try? await extra.sendRequest("GET", "/")
                let answer = try await extra.readResponse()
                #expect(answer.status == 503)
            }
        }
    }
}
