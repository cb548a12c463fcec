import Glibc
import HTTPServer
import IsolationdTesting
import Testing

/// Deferred responses answered normally: inline, from another thread, behind and before
/// pipelined requests, HEAD, streamed and WebSocket answers, repeated completions.
@Suite("Deferred responses")
struct DeferredResponseTests {
    @Test func completedInlineOnTheLoopIsSentAtOnceAndTheConnectionStaysOpen() async throws {
        let startedOnLoop = Recorder<Bool>()
        let responder = deferringResponder { request, completion in
            startedOnLoop.append(completion.loop.inLoopThread)
            completion.complete(textResponse("inline \(request.target)"))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let first = try await client.request("GET", "/a")
            #expect(first.status == 200)
            #expect(first.bodyText == "inline /a")
            #expect(first.header("Content-Length") == "9")
            #expect(first.header("Content-Type") == "text/plain")
            // Keep-alive: the same connection answers the next one.
            #expect(try await client.request("GET", "/b").bodyText == "inline /b")
            #expect(startedOnLoop.all == [true, true])
        }
    }

    @Test func completedFromAnotherThreadLaterKeepsTheConnectionAlive() async throws {
        let responder = deferringResponder { request, completion in
            complete(completion, with: textResponse("later \(request.target)", status: .created), after: .milliseconds(50))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            for index in 0..<3 {
                let response = try await client.request("GET", "/r\(index)")
                #expect(response.status == 201)
                #expect(response.bodyText == "later /r\(index)")
                #expect(response.header("Connection") == nil)
            }
        }
    }

    @Test func completedFromALoopTimerIsSentAtTheEndOfThatTurn() async throws {
        let responder = deferringResponder { _, completion in
            completion.loop.schedule(after: .milliseconds(20)) { completion.complete(textResponse("timer")) }
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/").bodyText == "timer")
            #expect(try await client.request("GET", "/").bodyText == "timer")
        }
    }

    @Test func pipelinedRequestsWaitAndComeBackInOrder() async throws {
        let events = Recorder<String>()
        let responder = ClosureResponder { request in
            events.append("respond \(request.target)")
            switch request.target {
            case "/slow":
                return .deferred { completion in
                    onAnotherThread {
                        usleep(100_000)
                        // Recorded before completing: the next request may be answered at once.
                        events.append("complete /slow")
                        completion.complete(textResponse("slow"))
                    }
                }
            case "/inline":
                return .deferred { completion in completion.complete(textResponse("inline")) }
            default:
                return textResponse("plain \(request.target)")
            }
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let targets = ["/slow", "/fast", "/inline", "/slow", "/last"]
            try await client.send(targets.map { "GET \($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
            var bodies: [String] = []
            for _ in targets { bodies.append(try await client.readResponse().bodyText) }
            #expect(bodies == ["slow", "plain /fast", "inline", "slow", "plain /last"])
            // No request behind a deferred one reached the responder before its answer came.
            #expect(events.all == ["respond /slow", "complete /slow", "respond /fast", "respond /inline",
                                   "respond /slow", "complete /slow", "respond /last"])
        }
    }

    @Test func headGetsTheCompletedHeadWithoutItsBody() async throws {
        let responder = deferringResponder { _, completion in
            complete(completion, with: textResponse("a body HEAD must not see"), after: .milliseconds(20))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let head = try await client.request("HEAD", "/thing")
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "24")
            #expect(head.body.isEmpty)
            // Nothing of the body followed: the next answer parses cleanly.
            #expect(try await client.request("GET", "/thing").bodyText == "a body HEAD must not see")
        }
    }

    @Test func aCompletionMayStreamItsBody() async throws {
        let closes = Recorder<StreamCloseReason>()
        let responder = deferringResponder { _, completion in
            let stream = StreamingBody { writer in
                writer.onClose { closes.append($0) }
                onAnotherThread {
                    for index in 0..<3 { writer.write(Array("event \(index)\n".utf8)) }
                    writer.finish(final: nil)
                }
            }
            complete(completion, with: HTTPResponse(status: .ok, headers: ["Content-Type": "text/event-stream"],
                                                    body: .stream(stream)), after: .milliseconds(20))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/events")
            #expect(response.isChunked)
            #expect(response.chunks == (0..<3).map { Array("event \($0)\n".utf8) })
            #expect(await closes.wait(forCount: 1) == [.finished])
            #expect(try await client.request("GET", "/events").chunks.count == 3)
        }
    }

    @Test func aCompletionMayUpgradeToWebSocket() async throws {
        let responder = deferringResponder { request, completion in
            let upgrade = WebSocketEcho.respond(to: request, maxMessageBytes: 1024, keepAliveInterval: nil) { _, _ in }
            complete(completion, with: upgrade, after: .milliseconds(20))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await WebSocketTestClient.connect(port: port, path: "/ws")
            #expect(client.handshake.status == 101)
            try await client.send(text: "deferred hello")
            let echoed = try await client.readFrame()
            #expect(String(decoding: echoed.payload, as: UTF8.self) == "deferred hello")
        }
    }

    @Test func onlyTheFirstCompletionCounts() async throws {
        let refusedStreams = Recorder<String>()
        let cancelledAfterwards = Recorder<Bool>()
        let responder = deferringResponder { request, completion in
            completion.complete(textResponse("first \(request.target)"))
            completion.complete(textResponse("second"))
            onAnotherThread {
                completion.complete(textResponse("third"))
                // A streamed body that is never sent is told so, on the loop.
                completion.complete(HTTPResponse(status: .ok, body: .stream(StreamingBody(start: { _ in
                    refusedStreams.append("started")
                }, notStarted: {
                    refusedStreams.append(completion.loop.inLoopThread ? "not started, on the loop" : "off the loop")
                }))))
            }
            cancelledAfterwards.append(completion.isCancelled)
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/1").bodyText == "first /1")
            #expect(try await client.request("GET", "/2").bodyText == "first /2")
            #expect(await refusedStreams.wait(forCount: 2) == ["not started, on the loop", "not started, on the loop"])
            // Nothing of the ignored answers reached the wire.
            #expect(await !client.waitForClose(within: .milliseconds(100)))
            #expect(client.unreadText.isEmpty)
            #expect(cancelledAfterwards.all == [false, false])
        }
    }

    @Test func aDeferredAnswerInsideACompletionIsRefusedWith500() async throws {
        let nestedStarts = Recorder<Bool>()
        let responder = deferringResponder { _, completion in
            completion.complete(.deferred { _ in nestedStarts.append(true) })
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/").status == 500)
            #expect(try await client.request("GET", "/").status == 500)
            #expect(nestedStarts.all.isEmpty)
        }
    }

    @Test func theOuterHeadOfADeferredResponseIsNeverChecked() async throws {
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, headers: ["X-Bad": "a\r\nInjected: yes"],
                         body: .deferred(DeferredResponse { $0.complete(textResponse("fine")) }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/")
            #expect(response.bodyText == "fine")
            #expect(response.header("Injected") == nil && response.header("X-Bad") == nil)
        }
    }

    @Test func mappedDeferredResponsesDecorateTheAnswerInnermostFirstOnce() async throws {
        let transformCalls = Recorder<String>()
        @Sendable func appending(_ name: String) -> @Sendable (HTTPResponse) -> HTTPResponse {
            { response in
                transformCalls.append(name)
                var decorated = response
                decorated.headers.set("X-Order", (response.headers["X-Order"].map { $0 + "," } ?? "") + name)
                return decorated
            }
        }
        let responder = ClosureResponder { _ in
            let inner = DeferredResponse { completion in
                complete(completion, with: textResponse("mapped"), after: .milliseconds(20))
            }
            return HTTPResponse(status: .ok, body: .deferred(inner.map(appending("inner")).map(appending("outer"))))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/")
            #expect(response.bodyText == "mapped")
            #expect(response.header("X-Order") == "inner,outer")
            #expect(transformCalls.all == ["inner", "outer"])
        }
    }

    @Test func aCompletedAnswerIsCompressedLikeAnyOther() async throws {
        let text = String(repeating: "deferred and compressible. ", count: 200)
        let responder = deferringResponder { _, completion in
            complete(completion, with: textResponse(text), after: .milliseconds(10))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/", headers: [("Accept-Encoding", "gzip")])
            #expect(response.header("Content-Encoding") == "gzip")
            #expect(response.header("Vary") == "Accept-Encoding")
            #expect(try Gzip.decompress(response.body, maxOutputBytes: 1 << 20, maxRatio: 1000) == Array(text.utf8))
        }
    }

    @Test func thousandsOfRequestsPipelinedBehindAnAwaitedAnswerAreAllServedInOrder() async throws {
        let responder = ClosureResponder { request in
            guard request.target == "/first" else { return textResponse(request.target) }
            return .deferred { completion in complete(completion, with: textResponse("first"), after: .milliseconds(200)) }
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let targets = ["/first"] + (0..<3000).map { "/p\($0)" }
            // Far more than the connection buffers while it waits: the rest stays in the socket.
            let sender = Task { try await client.send(targets.map { "GET \($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()) }
            var mismatches = 0
            for target in targets {
                let expected = target == "/first" ? "first" : target
                if try await client.readResponse().bodyText != expected { mismatches += 1 }
            }
            try await sender.value
            #expect(mismatches == 0)
        }
    }

    @Test func headAndIdleTimersDoNotCutAnAwaitedAnswer() async throws {
        let configuration = HTTPServerConfiguration.testing {
            $0.timeouts.idle = .milliseconds(100)
            $0.timeouts.requestHead = .milliseconds(300)
        }
        let responder = deferringResponder { _, completion in
            complete(completion, with: textResponse("patience"), after: .milliseconds(600))
        }
        try await withTestServer(configuration: configuration, responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port, sending: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "patience")
        }
    }
}
