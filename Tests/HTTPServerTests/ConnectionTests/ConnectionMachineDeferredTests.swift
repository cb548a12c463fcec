@testable import HTTPServer
import Testing

extension IdleLoop {
    /// Puts `machine` (just past a request) into `awaitingResponse`, as a deferred answer does.
    func awaitDeferred(_ machine: inout ConnectionMachine, target: String = "/a", now: UInt64 = 0) {
        guard case .readingHead(let headState) = machine.state else {
            Issue.record("not in readingHead: \(machine.stateName)")
            return
        }
        let head = HTTPRequestHead(method: .get, target: target)
        machine.awaitResponse(DeferredState(headState: headState, head: head,
                                            completion: ResponseCompletion(loop: loop, token: 1), startedAt: now))
    }
}

/// The `awaitingResponse` state: what it does with input, timers, the peer leaving and a drain,
/// and the way back to reading heads.
@Suite("Connection state machine: deferred responses")
struct ConnectionMachineDeferredTests {
    @Test func pipelinedInputIsHeldInABoundedBufferWhileAnAnswerIsAwaited() throws {
        let loop = try IdleLoop()
        var machine = ConnectionMachine.fresh()
        #expect(machine.feed(get).event == "request GET /a")
        loop.awaitDeferred(&machine)
        #expect(machine.stateName == "awaitingResponse")
        let held = machine.feed(getB)
        #expect(held.consumed == 0 && held.event == "held")
        #expect(machine.keepsUnconsumedInput)
        // Read on (to notice the peer leaving), but only up to the read buffer's worth.
        #expect(machine.wantsInput(backlog: 5000, buffered: 10, readBufferSize: 100))
        #expect(!machine.wantsInput(backlog: 0, buffered: 100, readBufferSize: 100))
    }

    @Test func onlyTheSafetyDeadlineRunsAndWritesStillComeFirst() throws {
        let loop = try IdleLoop()
        var machine = ConnectionMachine.fresh()
        _ = machine.feed(get, now: 5)
        loop.awaitDeferred(&machine, now: 7)
        let timeouts = ConnectionMachine.timeouts
        #expect(machine.deadline() == .init(kind: .deferredResponse, at: 7 + timeouts.deferredResponse))
        #expect(timeouts.deferredResponse == 30_000_000_000)
        #expect(machine.deadline(pendingOutput: true, lastWrite: 9).kind == .write)
        #expect(machine.timedOut(.deferredResponse, hasBufferedInput: true) == .expireDeferred)
        // Timers of other states that fire late do nothing here.
        #expect(machine.timedOut(.idle, hasBufferedInput: false) == .none)
        #expect(machine.stateName == "awaitingResponse")
    }

    @Test func theDrainWaitsAndThePeerLeavingEndsIt() throws {
        let loop = try IdleLoop()
        var machine = ConnectionMachine.fresh()
        _ = machine.feed(get)
        loop.awaitDeferred(&machine)
        guard case .none = machine.drainAction(hasBufferedInput: false, hasPendingOutput: false) else {
            Issue.record("a drain must wait for an awaited answer")
            return
        }
        // No error answer can be queued in its place: the connection would have to close.
        let errorAnswerPossible = machine.abandonRequest()
        #expect(!errorAnswerPossible)
        let closesNow = machine.peerClosed(hasPendingOutput: true)
        #expect(closesNow)
        guard case .awaitingResponse = machine.close() else {
            Issue.record("close() did not hand back the awaited state")
            return
        }
    }

    @Test func theAnswerLeadsBackToTheSameHeadStateWithItsPipelinedInput() throws {
        let loop = try IdleLoop()
        var machine = ConnectionMachine.fresh()
        _ = machine.feed(get)
        guard case .readingHead(let before) = machine.state else {
            Issue.record("no head state")
            return
        }
        loop.awaitDeferred(&machine)
        #expect(machine.stopAwaiting(inputWaiting: true) != nil)
        guard case .readingHead(let after) = machine.state else {
            Issue.record("not back to readingHead")
            return
        }
        #expect(after === before)
        #expect(machine.stateName == "readingHead(waiting)")
        machine.responded(keepAlive: true, now: 3)
        #expect(machine.feed(getB).event == "request GET /b")
        // Only once.
        #expect(machine.stopAwaiting(inputWaiting: false) == nil)
    }

    @Test func anUnreadBodyIsStillSkippedAfterTheAnswer() throws {
        let loop = try IdleLoop()
        var machine = ConnectionMachine.fresh()
        let post = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
        #expect(machine.feed(post, withoutBody: true).event == "request POST /x")
        loop.awaitDeferred(&machine, target: "/x")
        #expect(machine.feed("12345" + getB).event == "held")
        _ = machine.stopAwaiting(inputWaiting: true)
        machine.responded(keepAlive: true, now: 1)
        #expect(machine.feedAll("12345" + getB) == ["skipped", "request GET /b"])
    }
}
