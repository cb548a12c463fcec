@testable import HTTPServer
import Glibc
import IsolationdTesting
import Synchronization
import Testing

/// `ConnectionLoop`: the loop a stream or WebSocket belongs to, and writes made on it.
@Suite("Connection loops: tasks, timers, writes straight from the loop")
struct ConnectionLoopTests {
    @Test("execute runs on the loop thread; inLoopThread tells the loop from other threads")
    func executeRunsOnTheLoop() async throws {
        let seen = Recorder<String>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                let loop = writer.loop
                seen.append("start on loop: \(loop.inLoopThread)")
                onAnotherThread {
                    seen.append("other thread on loop: \(loop.inLoopThread)")
                    loop.execute {
                        seen.append("task on loop: \(loop.inLoopThread)")
                        writer.finish(final: Array("done".utf8))
                    }
                }
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/").bodyText == "done")
            #expect(seen.all == ["start on loop: true", "other thread on loop: false", "task on loop: true"])
        }
    }

    @Test("a write and a finish on the loop queue no task and need no wake-up; the bytes go out at the end of the turn")
    func loopWritesSkipTheQueue() async throws {
        let seen = Recorder<String>()
        let closes = Recorder<StreamCloseReason>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.onClose { closes.append($0) }
                seen.append("\(writer.write(Array("one".utf8)))")
                seen.append("\(writer.write(Array("two".utf8)))")
                writer.finish(final: Array("three".utf8))
                seen.append("tasks pending: \((writer.loop as? EventLoop)?.hasPendingTasks ?? true)")
                // The end completes at the end of the turn, not inside the producer's call.
                seen.append("closed: \(!closes.all.isEmpty)")
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/")
            #expect(response.chunks == [Array("one".utf8), Array("two".utf8), Array("three".utf8)])
            #expect(seen.all.prefix(4) == ["queued", "queued", "tasks pending: false", "closed: false"])
            #expect(await closes.wait(forCount: 1) == [.finished])
            // Kept alive, as after a stream finished from another thread.
            #expect(try await client.request("GET", "/").chunks.count == 3)
        }
    }

    @Test("a write from a loop timer reaches the client with no other activity on the connection")
    func timerWritesAreFlushed() async throws {
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.loop.schedule(after: .milliseconds(30)) {
                    writer.write(Array("tick".utf8))
                    writer.loop.schedule(after: .milliseconds(30)) { writer.finish(final: nil) }
                }
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.sendRequest("GET", "/")
            #expect(try await client.readHead().status == 200)
            #expect(try await client.readChunk() == Array("tick".utf8))
            #expect(try await client.readChunk() == nil)
        }
    }

    @Test("a timer fires after its delay; a cancelled one never does")
    func timersFireAndCancel() async throws {
        let fired = Recorder<String>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                let start = ContinuousClock.now
                let cancelled = writer.loop.schedule(after: .milliseconds(20)) { fired.append("cancelled") }
                writer.loop.schedule(after: .milliseconds(50)) {
                    fired.append(ContinuousClock.now - start >= .milliseconds(50) ? "late enough" : "early")
                    writer.loop.schedule(after: .milliseconds(100)) { writer.finish(final: nil) }
                }
                cancelled.cancel()
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            _ = try await client.request("GET", "/")
            #expect(fired.all == ["late enough"])
        }
    }

    @Test("chunks other threads queued before a write on the loop go out before it")
    func orderAcrossThreads() async throws {
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.loop.execute {
                    // Another thread queues while the loop is busy with this task (so the
                    // loop has not taken its chunks yet), then the loop writes.
                    let queued = Atomic<Bool>(false)
                    onAnotherThread {
                        writer.write(Array("from another thread".utf8))
                        queued.store(true, ordering: .releasing)
                    }
                    while !queued.load(ordering: .acquiring) { usleep(100) }
                    writer.write(Array("from the loop".utf8))
                    writer.finish(final: nil)
                }
            }))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/")
            #expect(response.chunks == [Array("from another thread".utf8), Array("from the loop".utf8)])
        }
    }

    @Test("writes on the loop are bounded like any: within one turn the buffer fills and the next write overflows")
    func loopWritesAreBounded() async throws {
        let results = Recorder<StreamWriteResult>()
        let configuration = HTTPServerConfiguration.testing { $0.outboundBufferBytes = 64 * 1024 }
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                let chunk = [UInt8](repeating: 120, count: 16 * 1024)
                // The head is still unsent: three chunks fit beside it in 64 KiB, a fourth does not.
                for _ in 0..<5 { results.append(writer.write(chunk)) }
                writer.finish(final: Array("end".utf8))
            }))
        }
        try await withTestServer(configuration: configuration, responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", "/")
            #expect(results.all == [.queued, .queued, .queued, .overflow, .overflow])
            #expect(response.body.count == 3 * 16 * 1024 + 3)
        }
    }

    @Test("WebSocket: frames sent and a close asked for on the loop go out in order")
    func webSocketOnTheLoop() async throws {
        let closes = Recorder<UInt16>()
        let seen = Recorder<String>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .webSocket(WebSocketUpgrade(
                onOpen: { session in
                    seen.append("open on loop: \(session.loop.inLoopThread)")
                    session.send(text: "hello")
                    session.loop.schedule(after: .milliseconds(20)) {
                        session.send(text: "later")
                        session.close(code: 1000, reason: "done")
                        seen.append("after close: \(session.send(text: "too late"))")
                    }
                },
                onMessage: { _, _ in },
                onClose: { closes.append($0) })))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await WebSocketTestClient.connect(port: port)
            #expect(String(decoding: try await client.readFrame().payload, as: UTF8.self) == "hello")
            #expect(String(decoding: try await client.readFrame().payload, as: UTF8.self) == "later")
            #expect(try await client.readFrame().closeCode == 1000)
            try await client.sendClose(code: 1000)
            #expect(await closes.wait(forCount: 1) == [1000])
            #expect(seen.all == ["open on loop: true", "after close: closed"])
        }
    }
}
