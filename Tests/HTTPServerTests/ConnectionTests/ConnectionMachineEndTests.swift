@testable import HTTPServer
import Testing

/// How a connection ends: the peer leaving, timeouts, draining and closing, in each state.
@Suite("Connection state machine: endings")
struct ConnectionMachineEndTests {
    @Test func peerLeavingDuringABodyClosesAtOnce() {
        var machine = ConnectionMachine.fresh()
        _ = machine.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nabc")
        #expect(machine.stateName == "readingBody")
        let closesNow = machine.peerClosed(hasPendingOutput: false)
        #expect(closesNow)
        // Closing hands back the state it ends, and drops its data.
        guard case .readingBody(let body) = machine.close() else {
            Issue.record("close() did not return the body state")
            return
        }
        #expect(body.remaining == 9)
        #expect(machine.isClosed)
        #expect(machine.deadline() == .none)
        #expect(!machine.wantsInput(backlog: 0, buffered: 0, readBufferSize: 100))
    }

    @Test func peerLeavingAfterARequestStillGetsTheAnswerButNoLinger() {
        var machine = ConnectionMachine.fresh()
        _ = machine.feed(get)
        machine.responded(keepAlive: true, now: 1)
        // The answer is still queued: write it, then close (the peer is gone: no lingering).
        let closesAtOnce = machine.peerClosed(hasPendingOutput: true)
        #expect(!closesAtOnce)
        #expect(machine.stateName == "closingAfterFlush(peerGone)")
        #expect(machine.outputDrained(now: 2) == .close)
        // Nothing queued: close at once.
        var idle = ConnectionMachine.fresh()
        let idleClosesNow = idle.peerClosed(hasPendingOutput: false)
        #expect(idleClosesNow)
    }

    @Test func peerLeavingAStreamOrWebSocketClosesAtOnce() throws {
        let loop = try IdleLoop()
        var streaming = ConnectionMachine.fresh()
        _ = streaming.feed(get)
        streaming.startStreaming(loop.stream())
        let streamClosesNow = streaming.peerClosed(hasPendingOutput: true)
        #expect(streamClosesNow)
        var socket = ConnectionMachine.fresh()
        _ = socket.feed(get)
        socket.upgrade(loop.webSocket())
        let socketClosesNow = socket.peerClosed(hasPendingOutput: true)
        #expect(socketClosesNow)
    }

    @Test func drainInEachState() throws {
        let loop = try IdleLoop()
        func action(_ machine: ConnectionMachine, buffered: Bool = false, pending: Bool = false) -> String {
            switch machine.drainAction(hasBufferedInput: buffered, hasPendingOutput: pending) {
            case .none: "none"
            case .close: "close"
            case .signalStream: "signalStream"
            case .closeWebSocket: "closeWebSocket"
            }
        }
        var machine = ConnectionMachine.fresh()
        // Idle: closed at once. A request on its way, or answers still queued: they finish.
        #expect(action(machine) == "close")
        #expect(action(machine, buffered: true) == "none")
        #expect(action(machine, pending: true) == "none")
        // A head that completes now is refused (probes still answer); a body under way finishes.
        var refused = ConnectionMachine.fresh()
        #expect(refused.feed(get, draining: true).event == "refuseDraining")
        #expect(refused.stateName == "closingAfterFlush")
        var probe = ConnectionMachine.fresh()
        #expect(probe.feed("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", draining: true).event == "request GET /healthz")
        _ = machine.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n")
        #expect(action(machine) == "none")
        #expect(machine.feed("ok", draining: true).event == "request POST / ok")
        // Streams are told (they may end with a last event); WebSockets close with 1001.
        machine.startStreaming(loop.stream())
        #expect(action(machine) == "signalStream")
        var socket = ConnectionMachine.fresh()
        _ = socket.feed(get)
        socket.upgrade(loop.webSocket())
        #expect(action(socket) == "closeWebSocket")
        // Closing, lingering, closed: nothing more to do.
        var closing = ConnectionMachine.fresh()
        _ = closing.feed(get)
        closing.responded(keepAlive: false, now: 0)
        #expect(action(closing) == "none")
        _ = closing.outputDrained(now: 0)
        #expect(action(closing) == "none")
        _ = closing.close()
        #expect(action(closing) == "none")
    }

    @Test func headTimeoutAnswers408OnlyToAStartedRequest() {
        var silent = ConnectionMachine.fresh()
        #expect(silent.timedOut(.head, hasBufferedInput: false) == .close(.clientClosed))
        var started = ConnectionMachine.fresh()
        _ = started.feed("GET /slow HT")
        #expect(started.timedOut(.head, hasBufferedInput: true) == .reject(.requestTimeout, reason: "the request head did not arrive in time"))
        #expect(started.stateName == "closingAfterFlush")
    }

    @Test func bodyTimeoutAnswers408() {
        var machine = ConnectionMachine.fresh()
        _ = machine.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n")
        #expect(machine.timedOut(.body, hasBufferedInput: false) == .reject(.requestTimeout, reason: "the request body did not arrive in time"))
        #expect(machine.stateName == "closingAfterFlush")
    }

    @Test func idleTimeoutClosesOnlyAConnectionStillIdle() {
        var machine = ConnectionMachine.fresh()
        _ = machine.feed(get)
        machine.responded(keepAlive: true, now: 5)
        #expect(machine.timedOut(.idle, hasBufferedInput: false) == .closeIfStillIdle(since: 5))
        #expect(machine.isStillIdle(since: 5, hasBufferedInput: false, hasPendingOutput: false))
        // A request arrived as the timer fired: not idle.
        _ = machine.feed("GET /", now: 6)
        #expect(!machine.isStillIdle(since: 5, hasBufferedInput: true, hasPendingOutput: false))
    }

    @Test func writeAndLingerTimeoutsClose() {
        var machine = ConnectionMachine.fresh()
        #expect(machine.timedOut(.write, hasBufferedInput: false) == .close(.writeTimeout))
        #expect(machine.timedOut(.linger, hasBufferedInput: false) == .close(.clientClosed))
        #expect(machine.timedOut(.tlsHandshake, hasBufferedInput: false) == .close(.clientClosed))
    }

    @Test func pendingOutputAndHandshakeDeadlinesComeFirst() {
        let machine = ConnectionMachine.fresh(now: 1)
        let timeouts = ConnectionMachine.timeouts
        let handshaking = ConnectionMachine.OutputTiming(hasPendingOutput: false, lastWriteProgress: 0, handshakeStartedAt: 3)
        #expect(machine.deadline(timeouts, handshaking) == .init(kind: .tlsHandshake, at: 3 + timeouts.tlsHandshake))
        let writing = ConnectionMachine.OutputTiming(hasPendingOutput: true, lastWriteProgress: 4, handshakeStartedAt: 3)
        #expect(machine.deadline(timeouts, writing) == .init(kind: .write, at: 4 + timeouts.write))
    }

    @Test func anErrorWhileAStreamIsOpenClosesAtOnce() throws {
        let loop = try IdleLoop()
        var machine = ConnectionMachine.fresh()
        _ = machine.feed(get)
        machine.startStreaming(loop.stream())
        let canAnswer = machine.abandonRequest()
        #expect(!canAnswer)
        #expect(machine.stateName == "streaming")
        var reading = ConnectionMachine.fresh()
        let readingCanAnswer = reading.abandonRequest()
        #expect(readingCanAnswer)
        #expect(reading.stateName == "closingAfterFlush")
    }
}
