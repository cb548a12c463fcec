import Glibc
import HTTPServer
import IsolationdTesting
import Testing

/// Deferred responses that end otherwise: the client leaves, the safety timeout, a drain, a
/// stop; and many at once.
@Suite("Deferred responses: cancellation, timeout, drain, load")
struct DeferredResponseEndTests {
    @Test func aClientThatLeavesCancelsTheCompletionAndFreesTheConnection() async throws {
        let completions = Recorder<ResponseCompletion>()
        let cancels = Recorder<Bool>()
        let refused = Recorder<String>()
        let responder = deferringResponder { _, completion in
            completion.onCancel { cancels.append(completion.loop.inLoopThread) }
            completions.append(completion)
        }
        try await withTestServer(responder: responder) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.sendRequest("GET", "/wait")
            let completion = try #require(await completions.wait(forCount: 1).first)
            #expect(!completion.isCancelled)
            client.close()
            #expect(await cancels.wait(forCount: 1) == [true])
            #expect(completion.isCancelled)
            #expect(await eventually { server.counters.openConnections == 0 })
            // Late: ignored, and a streamed body in it is told it will not be sent.
            completion.complete(textResponse("too late"))
            completion.complete(HTTPResponse(status: .ok, body: .stream(StreamingBody(start: { _ in
                refused.append("started")
            }, notStarted: { refused.append("not started") }))))
            #expect(await refused.wait(forCount: 1) == ["not started"])
            // A handler registered after the cancel runs at once.
            completion.onCancel { cancels.append(false) }
            #expect(cancels.all == [true, false])
            // The server goes on serving.
            let next = try await RawHTTPClient.connect(port: port)
            try await next.sendRequest("GET", "/again")
            let second = try #require(await completions.wait(forCount: 2).last)
            second.complete(textResponse("served"))
            #expect(try await next.readResponse().bodyText == "served")
        }
    }

    @Test func theSafetyTimeoutAnswers503AndIgnoresTheLateCompletion() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.deferredResponseTimeout = .milliseconds(200) }
        let completions = Recorder<ResponseCompletion>()
        let cancels = Recorder<String>()
        let responder = ProblemStampingResponder { request, completion in
            if request.target == "/quick" { return completion.complete(textResponse("quick")) }
            completion.onCancel { cancels.append(request.target) }
            completions.append(completion)
        }
        try await withTestServer(configuration: configuration, responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let started = ContinuousClock.now
            let response = try await client.request("GET", "/never")
            #expect(ContinuousClock.now - started >= .milliseconds(200))
            #expect(response.status == 503)
            #expect(response.header("Retry-After") == "1")
            #expect(response.header("Content-Type") == ProblemJSON.contentType)
            #expect(response.header("X-Stamped") == "yes")
            #expect(response.header("X-Decorated") == "yes")
            #expect(response.bodyText.contains(#""type":"https://problems.test/503""#))
            #expect(response.header("Connection") == nil)
            #expect(cancels.all == ["/never"])
            let late = try #require(completions.all.first)
            #expect(late.isCancelled)
            late.complete(textResponse("late"))
            // The connection stays usable, and the late answer never shows up on it.
            let quick = try await client.request("GET", "/quick")
            #expect(quick.bodyText == "quick")
            #expect(quick.header("X-Decorated") == "yes")
            let head = try await client.request("HEAD", "/never-again")
            #expect(head.status == 503)
            #expect(head.body.isEmpty)
            #expect(try await client.request("GET", "/quick").bodyText == "quick")
        }
    }

    @Test func aDrainWaitsForAnAwaitedAnswerThenClosesAfterIt() async throws {
        let completions = Recorder<ResponseCompletion>()
        let cancels = Recorder<Bool>()
        let responder = deferringResponder { _, completion in
            completion.onCancel { cancels.append(true) }
            completions.append(completion)
        }
        try await withTestServer(responder: responder) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.sendRequest("GET", "/slow")
            let completion = try #require(await completions.wait(forCount: 1).first)
            let drain = Task { await server.drain() }
            // The drain does not cut the awaited answer.
            #expect(await !client.waitForClose(within: .milliseconds(300)))
            #expect(server.counters.openConnections == 1)
            completion.complete(textResponse("finished during the drain"))
            let response = try await client.readResponse()
            #expect(response.bodyText == "finished during the drain")
            #expect(response.header("Connection") == "close")
            await drain.value
            #expect(await client.waitForClose(within: .seconds(10)))
            #expect(cancels.all.isEmpty)
        }
    }

    @Test func theDrainDeadlineCancelsAnAnswerThatNeverCame() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.drainDeadline = .milliseconds(300) }
        let completions = Recorder<ResponseCompletion>()
        let cancels = Recorder<Bool>()
        let responder = deferringResponder { _, completion in
            completion.onCancel { cancels.append(true) }
            completions.append(completion)
        }
        try await withTestServer(configuration: configuration, responder: responder) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.sendRequest("GET", "/never")
            let completion = try #require(await completions.wait(forCount: 1).first)
            await server.drain()
            #expect(await client.waitForClose(within: .seconds(10)))
            #expect(cancels.all == [true])
            #expect(completion.isCancelled)
            #expect(server.counters.openConnections == 0)
            completion.complete(textResponse("after the end"))
        }
    }

    @Test func stoppingTheServerCancelsAwaitedAnswers() async throws {
        let completions = Recorder<ResponseCompletion>()
        let cancels = Recorder<Bool>()
        let responder = deferringResponder { _, completion in
            completion.onCancel { cancels.append(true) }
            completions.append(completion)
        }
        let (kept, clients) = try await withTestServer(responder: responder) { server, port in
            var clients: [RawHTTPClient] = []
            for index in 0..<3 {
                let client = try await RawHTTPClient.connect(port: port)
                try await client.sendRequest("GET", "/wait/\(index)")
                clients.append(client)
            }
            _ = await completions.wait(forCount: 3)
            server.stop()
            return (completions.all, clients)
        }
        #expect(kept.count == 3)
        #expect(await cancels.wait(forCount: 3).count == 3)
        for completion in kept {
            #expect(completion.isCancelled)
            completion.complete(textResponse("after the stop"))
        }
        for client in clients { #expect(await client.waitForClose(within: .seconds(10))) }
    }

    @Test func manyConnectionsWithManyDeferredAnswersEachGetTheirOwn() async throws {
        let responder = deferringResponder { request, completion in
            let answer = textResponse("answer to \(request.target)")
            switch request.target.utf8.count % 3 {
            case 0: completion.complete(answer)
            case 1: complete(completion, with: answer, after: .milliseconds(Int64(request.target.utf8.count % 7)))
            default: completion.loop.schedule(after: .milliseconds(1)) { completion.complete(answer) }
            }
        }
        try await withTestServer(responder: responder) { server, port in
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                for connection in 0..<40 {
                    group.addTask {
                        let client = try await RawHTTPClient.connect(port: port)
                        var failures = 0
                        // Pipelined in two batches, so deferred answers meet requests waiting behind them.
                        for batch in 0..<2 {
                            let targets = (0..<4).map { "/c\(connection)/b\(batch)/r\($0)" }
                            try await client.send(targets.map { "GET \($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
                            for target in targets {
                                if try await client.readResponse().bodyText != "answer to \(target)" { failures += 1 }
                            }
                        }
                        client.close()
                        return failures
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(failures == 0)
            #expect(await eventually { server.counters.openConnections == 0 })
        }
    }
}
