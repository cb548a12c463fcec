@testable import HTTPServer
import Testing

/// The connection's transitions, one by one, without a socket: what each input does to the
/// state, which action it asks for, and which deadline follows.
@Suite("Connection state machine: requests")
struct ConnectionMachineTests {
    let timeouts = ConnectionMachine.timeouts

    @Test func headThenBodyThenAnswerThenKeepAlive() {
        var machine = ConnectionMachine.fresh(now: 10)
        // A new connection's head timer runs from the accept.
        #expect(machine.deadline() == .init(kind: .head, at: 10 + timeouts.requestHead))
        let head = "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
        #expect(machine.feed(head + "ab", now: 20) == (head.utf8.count, "bodyStarted"))
        #expect(machine.stateName == "readingBody")
        #expect(machine.deadline() == .init(kind: .body, at: 20 + timeouts.body))
        #expect(machine.feed("ab", now: 21) == (2, "needMore"))
        // Only the announced length is taken: what follows is the next request.
        #expect(machine.feed("cde" + get, now: 22) == (3, "request POST /up abcde"))
        #expect(machine.stateName == "readingHead")
        machine.responded(keepAlive: true, now: 30)
        #expect(machine.deadline() == .init(kind: .idle, at: 30 + timeouts.idle))
        // The next head's first byte starts its head timer.
        #expect(machine.feed("GET /a HT", now: 40) == (0, "needMore"))
        #expect(machine.deadline() == .init(kind: .head, at: 40 + timeouts.requestHead))
        #expect(machine.feed(get, now: 41) == (get.utf8.count, "request GET /a"))
    }

    @Test func pipelinedRequestsAreAnsweredOneAfterTheOther() {
        var machine = ConnectionMachine.fresh()
        #expect(machine.feedAll(get + getB + get) == ["request GET /a", "request GET /b", "request GET /a"])
        #expect(machine.stateName == "readingHead")
    }

    @Test func chunkedBodyAndContinue() {
        var machine = ConnectionMachine.fresh()
        let head = "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
        #expect(machine.feed(head) == (head.utf8.count, "bodyStarted(continue)"))
        let body = "3\r\nabc\r\n0\r\n\r\n"
        #expect(machine.feed(body) == (body.utf8.count, "request PUT /c abc"))
    }

    @Test func connectionCloseEndsAfterTheAnswerThenLingers() {
        var machine = ConnectionMachine.fresh()
        #expect(machine.feed(get).event == "request GET /a")
        machine.responded(keepAlive: false, now: 5)
        #expect(machine.stateName == "closingAfterFlush")
        // Writing is all that is left: no input is wanted, the write timer is the only deadline.
        #expect(!machine.wantsInput(backlog: 10, buffered: 0, readBufferSize: 100))
        #expect(machine.deadline(pendingOutput: true, lastWrite: 6) == .init(kind: .write, at: 6 + timeouts.write))
        #expect(machine.deadline() == .none)
        #expect(machine.outputDrained(now: 7) == .linger)
        #expect(machine.stateName == "lingering(7)")
        #expect(machine.deadline() == .init(kind: .linger, at: 7 + timeouts.linger))
        #expect(machine.feed(get) == (get.utf8.count, "dropped"))
        #expect(machine.wantsInput(backlog: 0, buffered: 0, readBufferSize: 100))
    }

    @Test func badRequestIsRejectedAndClosesAfterTheAnswer() {
        var machine = ConnectionMachine.fresh()
        let bad = "GET / HTTP/1.1\nHost: x\n\n"
        #expect(machine.feed(get + bad).event == "request GET /a")
        machine.responded(keepAlive: true, now: 0)
        #expect(machine.feed(bad) == (bad.utf8.count, "reject 400"))
        #expect(machine.stateName == "closingAfterFlush")
        #expect(machine.feed(get).event == "dropped")
    }

    @Test func oversizeBodyIsRejectedBeforeItIsRead() {
        var machine = ConnectionMachine.fresh()
        let head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n"
        #expect(machine.feed(head, limit: 100) == (head.utf8.count, "reject 413"))
        #expect(machine.stateName == "closingAfterFlush")
    }

    @Test func answersThePeerDoesNotReadStallParsing() {
        var machine = ConnectionMachine.fresh()
        let bound = ConnectionMachine.bound
        #expect(machine.feed(get, backlog: bound) == (0, "stalled"))
        #expect(machine.stateName == "readingHead(waiting)")
        #expect(!machine.wantsInput(backlog: bound, buffered: get.utf8.count, readBufferSize: 100))
        // Once the socket took enough, the waiting input is parsed.
        #expect(machine.feed(get, backlog: bound - 1) == (get.utf8.count, "request GET /a"))
        #expect(machine.stateName == "readingHead")
    }

    @Test func streamFinishesThenPipelinedRequestsGoOn() throws {
        let loop = try IdleLoop()
        var machine = ConnectionMachine.fresh()
        #expect(machine.feed(get + getB).event == "request GET /a")
        let stream = loop.stream()
        machine.startStreaming(stream)
        #expect(machine.stateName == "streaming")
        // The request behind the stream stays buffered; reading goes on (to notice the peer
        // leaving) within a bounded buffer; no deadline runs.
        #expect(machine.feed(getB) == (0, "held"))
        #expect(machine.keepsUnconsumedInput)
        #expect(machine.wantsInput(backlog: 0, buffered: 99, readBufferSize: 100))
        #expect(!machine.wantsInput(backlog: 0, buffered: 100, readBufferSize: 100))
        #expect(machine.deadline() == .none)
        let finished = machine.finishStream(draining: false, inputWaiting: true, now: 50)
        #expect(finished === stream)
        #expect(machine.stateName == "readingHead(waiting)")
        #expect(machine.deadline() == .init(kind: .idle, at: 50 + timeouts.idle))
        #expect(machine.feed(getB).event == "request GET /b")
        #expect(machine.finishStream(draining: false, inputWaiting: false, now: 60) == nil)
    }

    @Test func streamThatCannotKeepTheConnectionClosesAfterFlush() throws {
        let loop = try IdleLoop()
        for (chunked, keepAlive, draining) in [(false, false, false), (true, false, false), (true, true, true)] {
            var machine = ConnectionMachine.fresh()
            _ = machine.feed(get)
            machine.startStreaming(loop.stream(chunked: chunked, keepAlive: keepAlive))
            _ = machine.finishStream(draining: draining, inputWaiting: false, now: 1)
            #expect(machine.stateName == "closingAfterFlush", "chunked \(chunked) keepAlive \(keepAlive) draining \(draining)")
        }
    }

    @Test func upgradeHandsBytesToTheWebSocketUntilItEnds() throws {
        let loop = try IdleLoop()
        var machine = ConnectionMachine.fresh()
        _ = machine.feed(get)
        let channel = loop.webSocket(now: 5)
        machine.upgrade(channel)
        #expect(machine.stateName == "webSocket")
        #expect(machine.feed("frames") == (0, "webSocket"))
        #expect(!machine.keepsUnconsumedInput)
        // Without a keep-alive and before our close frame, nothing is timed.
        #expect(machine.deadline() == .none)
        channel.closeSentAt = 7
        #expect(machine.deadline() == .init(kind: .linger, at: 7 + timeouts.linger))
        // Control frames count against the outbound bound: a peer that sends pings without
        // reading the pongs is no longer read from.
        #expect(machine.wantsInput(backlog: ConnectionMachine.bound - 1, buffered: 0, readBufferSize: 100))
        #expect(!machine.wantsInput(backlog: ConnectionMachine.bound, buffered: 0, readBufferSize: 100))
        #expect(machine.endWebSocket() === channel)
        #expect(machine.stateName == "closingAfterFlush")
        #expect(machine.endWebSocket() == nil)
    }

    @Test func webSocketKeepAliveDeadlines() throws {
        let loop = try IdleLoop()
        var machine = ConnectionMachine.fresh()
        _ = machine.feed(get)
        let session = ConnectionWebSocketSession(outbox: ConnectionOutbox(loop: loop.loop, token: 1, bound: 10))
        let upgrade = WebSocketUpgrade(keepAliveInterval: .seconds(1), onOpen: { _ in }, onMessage: { _, _ in }, onClose: { _ in })
        let channel = WebSocketChannel(machine: WebSocketServerProtocol(), session: session, upgrade: upgrade, now: 100)
        machine.upgrade(channel)
        #expect(machine.deadline() == .init(kind: .webSocketPing, at: 100 + 1_000_000_000))
        #expect(machine.timedOut(.webSocketPing, hasBufferedInput: false) == .ping)
        channel.pingSentAt = 200
        #expect(machine.deadline() == .init(kind: .webSocketPong, at: 200 + 1_000_000_000))
        #expect(machine.timedOut(.webSocketPong, hasBufferedInput: false) == .close(.clientClosed))
        channel.heardFromPeer(at: 300)
        #expect(machine.deadline() == .init(kind: .webSocketPing, at: 300 + 1_000_000_000))
    }
}
