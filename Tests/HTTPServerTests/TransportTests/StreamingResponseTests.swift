import Glibc
import HTTPServer
import Logging
import IsolationdTesting
import Synchronization
import Testing

/// Runs `body` on a new POSIX thread (a producer that is not the loop and not the pool).
func onAnotherThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    pthread_create(&thread, nil, { raw in
        guard let raw else { return nil }
        Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
        return nil
    }, context)
    pthread_detach(thread)
}

@Suite("Streamed (chunked) responses")
struct StreamingResponseTests {
    @Test func manyChunksFromAnotherThreadArriveInOrder() async throws {
        let closes = Recorder<StreamCloseReason>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "text/event-stream"], body: .stream(StreamingBody { writer in
                writer.onClose { closes.append($0) }
                onAnotherThread {
                    for index in 0..<500 {
                        while writer.write(Array("event \(index)\n".utf8)) == .overflow { usleep(1000) }
                    }
                    writer.finish(final: Array("done\n".utf8))
                }
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/events")
            #expect(response.status == 200)
            #expect(response.isChunked)
            #expect(response.header("Content-Length") == nil)
            let expected = (0..<500).map { "event \($0)\n" }.joined() + "done\n"
            #expect(response.bodyText == expected)
            #expect(await closes.wait(forCount: 1) == [.finished])
            // The connection is still alive after the stream finished.
            #expect(try await client.request("GET", "/events").bodyText == expected)
        }
    }

    @Test func eachWriteIsOneChunk() async throws {
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.write(Array("first".utf8))
                writer.write([])  // an empty write must not end the body
                writer.finish(final: nil)
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/")
            #expect(response.chunks == [Array("first".utf8)])
        }
    }

    @Test func slowReaderMakesWritesOverflowInsteadOfGrowingMemory() async throws {
        let results = Recorder<StreamWriteResult>()
        let configuration = HTTPServerConfiguration.testing { $0.outboundBufferBytes = 64 * 1024 }
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                onAnotherThread {
                    let chunk = [UInt8](repeating: 120, count: 16 * 1024)
                    for _ in 0..<2000 {
                        let result = writer.write(chunk)
                        results.append(result)
                        if result == .overflow { break }
                    }
                    writer.finish(final: Array("end".utf8))
                }
            }))
        }
        try await withTestServer(configuration: configuration, responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.sendRequest("GET", "/flood")
            // Do not read until the producer gave up.
            #expect(await eventually { results.all.last == .overflow })
            let recorded = results.all
            #expect(recorded.last == .overflow)
            #expect(recorded.count < 2000)
            // What was accepted (plus the final bytes, which bypass the bound) arrives intact.
            let response = try await client.readResponse()
            let queued = recorded.filter { $0 == .queued }.count
            #expect(response.body.count == queued * 16 * 1024 + 3)
        }
    }

    @Test func onCloseReportsAClientThatVanished() async throws {
        let closes = Recorder<StreamCloseReason>()
        let writers = Recorder<Bool>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.onClose { reason in
                    closes.append(reason)
                    writers.append(writer.isOpen)
                }
                writer.write(Array("hello".utf8))
            }))
        }
        try await withTestServer(responder: responder) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.sendRequest("GET", "/")
            let head = try await client.readHead()
            #expect(head.status == 200)
            #expect(try await client.readChunk() == Array("hello".utf8))
            client.close()
            #expect(await closes.wait(forCount: 1) == [.clientClosed])
            #expect(writers.all == [false])
            #expect(await eventually { server.counters.openConnections == 0 })
        }
    }

    @Test func writesAfterTheEndReportClosed() async throws {
        let later = Recorder<StreamWriteResult>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.finish(final: Array("x".utf8))
                writer.onClose { _ in later.append(writer.write(Array("late".utf8))) }
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/").bodyText == "x")
            #expect(await later.wait(forCount: 1) == [.closed])
        }
    }

    @Test func http10StreamEndsByClosing() async throws {
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.write(Array("a".utf8))
                writer.finish(final: Array("b".utf8))
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/", version: "HTTP/1.0")
            #expect(!response.isChunked)
            #expect(response.header("Connection") == "close")
            #expect(response.bodyText == "ab")
        }
    }

    @Test func requestPipelinedBehindAStreamIsAnsweredAfterIt() async throws {
        let responder = ClosureResponder { request in
            guard request.path == "/stream" else {
                return HTTPResponse(status: .ok, contentType: "text/plain", body: Array("plain".utf8))
            }
            return HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                onAnotherThread {
                    usleep(50_000)
                    writer.finish(final: Array("streamed".utf8))
                }
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().bodyText == "streamed")
            #expect(try await client.readResponse().bodyText == "plain")
        }
    }
}

@Suite("Streamed responses: ends forced by the server")
struct StreamEndTests {
    @Test func aStalledStreamEndsWithWriteTimeout() async throws {
        let closes = Recorder<StreamCloseReason>()
        let configuration = HTTPServerConfiguration.testing {
            $0.timeouts.write = .milliseconds(200)
            $0.outboundBufferBytes = 8 << 20
        }
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.onClose { closes.append($0) }
                onAnotherThread {
                    let chunk = [UInt8](repeating: 1, count: 256 * 1024)
                    for _ in 0..<400 where writer.write(chunk) != .closed { usleep(2000) }
                }
            }))
        }
        try await withTestServer(configuration: configuration, responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.sendRequest("GET", "/")  // and never read
            #expect(await closes.wait(forCount: 1, within: .seconds(10)) == [.writeTimeout])
        }
    }

    @Test func stopRunsShutdownHandlersThenCloses() async throws {
        let events = Recorder<String>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.onShutdown { events.append("shutdown") }
                writer.onClose { events.append("close \($0)") }
                writer.write(Array("x".utf8))
            }))
        }
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let server = HTTPServer(configuration: .testing, responder: responder, logger: logger)
        try server.start()
        let client = try await RawHTTPClient.connect(port: server.boundPort)
        try await client.sendRequest("GET", "/")
        _ = try await client.readHead()
        server.stop()
        #expect(events.all == ["shutdown", "close serverShutdown"])
        #expect(await client.waitForClose(within: .seconds(10)))
    }
}
