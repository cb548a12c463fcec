import HTTPServer
import IsolationdTesting
import Testing

/// Timers are configured short (200 ms) and the tests wait well beyond them, bounded.
@Suite("Timeouts: request head, idle, body, write")
struct TimeoutTests {
    static let short = Duration.milliseconds(200)

    @Test func partialHeadIsAnswered408ThenClosed() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.timeouts.requestHead = Self.short }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { port in
            // The head timer runs from the accept on a new connection.
            let started = ContinuousClock.now
            let client = try await RawHTTPClient.connect(port: port, sending: Array("GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow".utf8))
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(ContinuousClock.now - started >= .milliseconds(150))
            #expect(await client.waitForClose(within: .seconds(10)))
        }
    }

    @Test func slowlorisTricklingBytesIsStillCutOff() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.timeouts.requestHead = Self.short }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.send("GET / HTTP/1.1\r\n")
            var sent = 0
            // Keep sending a byte every 50 ms; the head deadline does not move.
            while sent < 40 {
                try await Task.sleep(for: .milliseconds(50))
                do { try await client.send("X") } catch { break }
                sent += 1
                if await client.waitForClose(within: .milliseconds(1)) { break }
            }
            #expect(sent < 40)
        }
    }

    @Test func silentNewConnectionIsClosedWithoutAnAnswer() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.timeouts.requestHead = Self.short }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(await client.waitForClose(within: .seconds(10)))
            #expect(client.unreadText.isEmpty)
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.timeouts.idle = Self.short }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            // The idle timer starts once the answer is queued, after this instant.
            let started = ContinuousClock.now
            let response = try await client.request("GET", "/")
            #expect(response.status == 200)
            #expect(await client.waitForClose(within: .seconds(10)))
            #expect(ContinuousClock.now - started >= .milliseconds(150))
            #expect(client.unreadText.isEmpty)
            #expect(await eventually { server.counters.openConnections == 0 })
        }
    }

    @Test func idleTimerRestartsAfterEachRequest() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.timeouts.idle = .seconds(5) }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            // Eleven quiet gaps of 500 ms: longer than the idle timeout in total, never in one go
            // (4.5 s to spare for a thread that a loaded machine does not run on time).
            // The gaps run on one thread of their own (no cooperative-pool wake-ups to wait for)
            // and are measured, so a gap that a starved machine stretched is seen as such.
            let results = try await client.requestsAfterPauses(Array(repeating: .milliseconds(500), count: 11))
            #expect(results.map(\.status) == Array(repeating: 200, count: 11), "quiet before each request: \(results.map(\.quiet))")
        }
    }

    @Test func slowBodyIsAnswered408() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.timeouts.body = Self.short }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(await client.waitForClose(within: .seconds(10)))
        }
    }

    @Test func readerThatNeverReadsIsClosedByTheWriteTimeout() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.timeouts.write = Self.short }
        let big = [UInt8](repeating: 65, count: 32 << 20)
        let responder = ClosureResponder { _ in HTTPResponse(status: .ok, contentType: "text/plain", body: big) }
        try await withTestServer(configuration: configuration, responder: responder) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.sendRequest("GET", "/big")
            // Never read: the socket buffers fill, the server's writes stall, the timer fires.
            #expect(await eventually(within: .seconds(5)) { server.counters.openConnections == 0 })
        }
    }
}
