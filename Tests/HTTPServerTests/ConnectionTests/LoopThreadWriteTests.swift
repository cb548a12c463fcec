@testable import HTTPServer
import Glibc
import IsolationdTesting
import Synchronization
import Testing

/// The loop that owns a stream (what `writer.loop` answers once the protocol declares it).
func loopOf(_ writer: any ResponseStreamWriter) -> EventLoop {
    (writer as! ConnectionStreamWriter).outbox.loop
}

func loopOf(_ session: any WebSocketSession) -> EventLoop {
    (session as! ConnectionWebSocketSession).outbox.loop
}

/// Writes made on the connection's own loop thread go straight into its output buffer (no
/// queue, no wake-up), keep their order with writes from other threads, obey the same bound,
/// and end the stream only once the caller's call has returned.
@Suite("Streams written on the loop thread")
struct LoopThreadWriteTests {
    @Test func writesOnTheLoopQueueNoTaskAndNoWakeUp() async throws {
        let seen = Recorder<String>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                let loop = loopOf(writer)
                seen.append("inLoop \(loop.inLoopThread)")
                writer.write(Array("a".utf8))
                writer.write(Array("b".utf8))
                seen.append("tasks \(loop.hasPendingTasks)")
                writer.finish(final: nil)
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/")
            #expect(response.chunks == [Array("a".utf8), Array("b".utf8)])
            #expect(seen.all == ["inLoop true", "tasks false"])
        }
    }

    @Test func writesKeepTheirOrderAcrossThreadsTasksAndTimers() async throws {
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                let loop = loopOf(writer)
                writer.write(Array("0".utf8))
                // Another thread queues two chunks while the loop is busy right here, so they
                // wait in the outbox when the loop writes again: that write goes after them.
                let queued = Atomic<Bool>(false)
                onAnotherThread {
                    writer.write(Array("1".utf8))
                    writer.write(Array("2".utf8))
                    queued.store(true, ordering: .releasing)
                }
                while !queued.load(ordering: .acquiring) { sched_yield() }
                writer.write(Array("3".utf8))
                onAnotherThread {
                    writer.write(Array("4".utf8))
                    loop.execute {
                        writer.write(Array("5".utf8))
                        loop.schedule(after: .milliseconds(20)) {
                            writer.write(Array("6".utf8))
                            writer.finish(final: Array("7".utf8))
                        }
                    }
                }
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/").bodyText == "01234567")
        }
    }

    @Test func theOutboundBoundAppliesOnTheLoopThread() async throws {
        let results = Recorder<StreamWriteResult>()
        let configuration = HTTPServerConfiguration.testing { $0.outboundBufferBytes = 64 * 1024 }
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                // Nothing is flushed before the end of this turn, and the head is queued too:
                // three framed 16 KiB chunks fit beside it in 64 KiB, a fourth does not.
                let chunk = [UInt8](repeating: 120, count: 16 * 1024)
                for _ in 0..<5 { results.append(writer.write(chunk)) }
                writer.finish(final: Array("end".utf8))
            }))
        }
        try await withTestServer(configuration: configuration, responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let body = try await client.request("GET", "/").body
            #expect(results.all == [.queued, .queued, .queued, .overflow, .overflow])
            #expect(body.count == 3 * 16 * 1024 + 3)
        }
    }

    @Test func finishOnTheLoopEndsTheStreamAfterTheCallReturns() async throws {
        let events = Recorder<String>()
        let responder = ClosureResponder { request in
            guard request.path == "/stream" else {
                return HTTPResponse(status: .ok, contentType: "text/plain", body: Array("plain".utf8))
            }
            return HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.onClose { events.append("close \($0)") }
                writer.finish(final: Array("streamed".utf8))
                events.append("returned, open \(writer.isOpen)")
                events.append("late write \(writer.write(Array("late".utf8)))")
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            // A request pipelined behind the stream is answered once it ends.
            try await client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().bodyText == "streamed")
            #expect(try await client.readResponse().bodyText == "plain")
            #expect(await events.wait(forCount: 3) == ["returned, open false", "late write closed", "close finished"])
        }
    }

    @Test func loopTimersFireOnTheLoopAndCancelledOnesDoNot() async throws {
        let fired = Recorder<String>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                let loop = loopOf(writer)
                let cancelled = loop.schedule(after: .milliseconds(30)) { fired.append("cancelled timer") }
                cancelled.cancel()
                loop.schedule(after: .milliseconds(60)) {
                    fired.append("timer on the loop \(loop.inLoopThread)")
                    writer.finish(final: Array("timer".utf8))
                }
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/").bodyText == "timer")
            try await Task.sleep(for: .milliseconds(100))
            #expect(fired.all == ["timer on the loop true"])
        }
    }

    @Test func executeFromAnotherThreadRunsOnTheLoop() async throws {
        let seen = Recorder<Bool>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                let loop = loopOf(writer)
                onAnotherThread {
                    seen.append(loop.inLoopThread)
                    loop.execute {
                        seen.append(loop.inLoopThread)
                        writer.finish(final: Array("done".utf8))
                    }
                }
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/").bodyText == "done")
            #expect(seen.all == [false, true])
        }
    }
}

@Suite("WebSocket sessions written on the loop thread")
struct LoopThreadWebSocketTests {
    @Test func sendsAndCloseOnTheLoopKeepTheirOrder() async throws {
        let results = Recorder<String>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .webSocket(WebSocketUpgrade(
                onOpen: { session in
                    session.send(text: "hello")
                    results.append("open: tasks \(loopOf(session).hasPendingTasks)")
                },
                onMessage: { session, message in
                    guard case .text(let text) = message else { return }
                    session.send(text: "echo " + text)
                    guard text == "bye" else { return }
                    session.close(code: 1000, reason: "done")
                    results.append("after close: \(session.send(text: "too late")), open \(session.isOpen)")
                },
                onClose: { results.append("onClose \($0)") })))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await WebSocketTestClient.connect(port: port)
            #expect(String(decoding: try await client.readFrame().payload, as: UTF8.self) == "hello")
            try await client.send(text: "one")
            #expect(String(decoding: try await client.readFrame().payload, as: UTF8.self) == "echo one")
            try await client.send(text: "bye")
            #expect(String(decoding: try await client.readFrame().payload, as: UTF8.self) == "echo bye")
            let close = try await client.readFrame()
            #expect(close.closeCode == 1000)
            try await client.sendClose(code: 1000)
            #expect(await client.connection.waitForClose(within: .seconds(10)))
            #expect(await results.wait(forCount: 3) == ["open: tasks false", "after close: closed, open false", "onClose 1000"])
        }
    }
}
