import HTTPServer
import IsolationdTesting
import Testing

@Suite("Graceful drain")
struct DrainTests {
    @Test func readinessTurns503AtOnceWhileOtherRequestsAreStillServed() async throws {
        // The delay outlasts the four requests below even under ThreadSanitizer on a busy machine
        // (3 s ran out once on CI while parallel suites held the cooperative pool for 17 s).
        let configuration = HTTPServerConfiguration.testing { $0.drainDelay = .seconds(10) }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/readyz").bodyText == #"{"status":"ready"}"#)
            let drain = Task { await server.drain() }
            #expect(await eventually { !server.isReady })
            let ready = try await client.request("GET", "/readyz")
            #expect(ready.status == 503)
            #expect(ready.bodyText == #"{"status":"draining"}"#)
            let verbose = try await client.request("GET", "/readyz?verbose")
            #expect(verbose.status == 503)
            #expect(verbose.bodyText.contains("[-]draining"))
            #expect(try await client.request("GET", "/livez").status == 200)
            // During the delay the application is still served.
            #expect(try await client.request("GET", "/work").bodyText == "GET /work\n")
            await drain.value
            #expect(await client.waitForClose(within: .seconds(10)))
        }
    }

    @Test func idleConnectionsCloseAndNewRequestsAreRefusedWith503() async throws {
        try await withTestServer(responder: echoResponder()) { server, port in
            let idle = try await RawHTTPClient.connect(port: port)
            #expect(try await idle.request("GET", "/").status == 200)
            let midRequest = try await RawHTTPClient.connect(port: port)
            try await midRequest.send("GET /late HTTP/1.1\r\nHost: x\r\n")
            #expect(await eventually { server.counters.openConnections == 2 })

            let drain = Task { await server.drain() }
            #expect(await idle.waitForClose(within: .seconds(10)))
            try await midRequest.send("\r\n")
            let refused = try await midRequest.readResponse()
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            #expect(refused.header("Connection") == "close")
            #expect(await midRequest.waitForClose(within: .seconds(10)))
            await drain.value
            #expect(server.counters.openConnections == 0)
        }
    }

    @Test func aRequestWhoseBodyIsArrivingFinishesNormally() async throws {
        try await withTestServer(responder: echoResponder()) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc")
            #expect(await eventually { server.counters.openConnections == 1 })
            try await Task.sleep(for: .milliseconds(50))
            let drain = Task { await server.drain() }
            try await Task.sleep(for: .milliseconds(50))
            try await client.send("def")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "POST /upload\nabcdef")
            #expect(response.header("Connection") == "close")
            await drain.value
        }
    }

    @Test func streamsAreToldAndMayFinishWithALastEvent() async throws {
        let closes = Recorder<StreamCloseReason>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.onClose { closes.append($0) }
                writer.onShutdown { writer.finish(final: Array("event: server_shutdown\n\n".utf8)) }
                writer.write(Array("event: hello\n\n".utf8))
            }))
        }
        try await withTestServer(responder: responder) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.sendRequest("GET", "/events")
            _ = try await client.readHead()
            #expect(try await client.readChunk() == Array("event: hello\n\n".utf8))
            let drain = Task { await server.drain() }
            #expect(try await client.readChunk() == Array("event: server_shutdown\n\n".utf8))
            #expect(try await client.readChunk() == nil)
            #expect(await client.waitForClose(within: .seconds(10)))
            await drain.value
            #expect(closes.all == [.finished])
        }
    }

    @Test func streamsStillOpenAtTheDeadlineAreClosed() async throws {
        let closes = Recorder<StreamCloseReason>()
        let shutdowns = Recorder<Bool>()
        let configuration = HTTPServerConfiguration.testing { $0.drainDeadline = .milliseconds(300) }
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.onClose { closes.append($0) }
                writer.onShutdown { shutdowns.append(true) }  // and ignores it
                writer.write(Array("x".utf8))
            }))
        }
        try await withTestServer(configuration: configuration, responder: responder) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.sendRequest("GET", "/events")
            _ = try await client.readHead()
            _ = try await client.readChunk()
            let started = ContinuousClock.now
            await server.drain()
            #expect(ContinuousClock.now - started >= .milliseconds(250))
            #expect(shutdowns.all == [true])
            #expect(closes.all == [.serverShutdown])
            #expect(server.counters.openConnections == 0)
        }
    }

    @Test func drainWithNoConnectionsReturnsPromptly() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.drainDeadline = .seconds(60) }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { server, port in
            let started = ContinuousClock.now
            await server.drain()
            // Long before the deadline (the bound is loose: other suites may keep the pool busy).
            #expect(ContinuousClock.now - started < .seconds(20))
            // Accepting has stopped: nothing connecting now reaches this server. The port is free
            // again, so under the parallel suite another test's server may already own it and
            // answer; what must not happen is that this one accepts.
            let acceptedBefore = server.counters.acceptedConnections
            if let client = try? await RawHTTPClient.connect(port: port) {
                _ = try? await client.request("GET", "/livez")
            }
            #expect(server.counters.acceptedConnections == acceptedBefore)
            #expect(!server.isReady)
        }
    }
}
