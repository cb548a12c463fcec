@testable import HTTPServer
import Testing

/// A request answered from its head (405, 501, 404, OPTIONS): its body is never buffered. A
/// small Content-Length body is skipped as it arrives and the next request follows on the same
/// connection; a larger or chunked one closes the connection after the answer.
@Suite("Connection state machine: answers without the body")
struct ConnectionMachineBodySkipTests {
    @Test func smallBodyIsSkippedAndTheNextRequestFollows() {
        var machine = ConnectionMachine.fresh()
        let head = "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
        // Answered at once: no bodyStarted, no body bytes in the request.
        #expect(machine.feed(head + "0123", withoutBody: true) == (head.utf8.count, "request PUT /a"))
        machine.responded(keepAlive: true, now: 1)
        #expect(machine.feed("0123") == (4, "skipped"))
        #expect(machine.stateName == "readingHead")
        // The rest of the body and the next head arrive together: the body goes, the head parses.
        #expect(machine.feed("456789" + get) == (6, "skipped"))
        #expect(machine.feed(get) == (get.utf8.count, "request GET /a"))
    }

    @Test func skippingKeepsTheIdleTimerUntilTheNextHead() {
        var machine = ConnectionMachine.fresh()
        let head = "DELETE /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n"
        #expect(machine.feed(head, withoutBody: true).event == "request DELETE /a")
        machine.responded(keepAlive: true, now: 5)
        #expect(machine.feed("abc", now: 7) == (3, "skipped"))
        #expect(machine.deadline() == .init(kind: .idle, at: 5 + ConnectionMachine.timeouts.idle))
    }

    @Test func largeOrChunkedBodyClosesAfterTheAnswer() {
        var large = ConnectionMachine.fresh()
        let announced = ConnectionMachine.skippableBodyBytes + 1
        let head = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: \(announced)\r\n\r\n"
        #expect(large.feed(head + "xyz", withoutBody: true) == (head.utf8.count, "request POST /a (close)"))
        large.responded(keepAlive: false, now: 1)
        #expect(large.stateName == "closingAfterFlush")
        #expect(large.feed("xyz").event == "dropped")

        var chunked = ConnectionMachine.fresh()
        let chunkedHead = "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(chunked.feed(chunkedHead + "5\r\nab", withoutBody: true) == (chunkedHead.utf8.count, "request POST /a (close)"))
    }

    @Test func bodyAwaitingContinueIsNeverCountedOnAndClosesAfterTheAnswer() {
        var machine = ConnectionMachine.fresh()
        let head = "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        // No 100 Continue is asked for: the final answer goes at once, then the connection ends.
        #expect(machine.feed(head, withoutBody: true) == (head.utf8.count, "request PUT /a (close)"))
    }

    @Test func noBodyAndEmptyBodyKeepTheConnection() {
        var machine = ConnectionMachine.fresh()
        #expect(machine.feed(get, withoutBody: true) == (get.utf8.count, "request GET /a"))
        machine.responded(keepAlive: true, now: 1)
        let empty = "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
        #expect(machine.feed(empty + get, withoutBody: true) == (empty.utf8.count, "request PUT /a"))
    }

    @Test func oversizeBodyForARouteStillGets413() {
        var machine = ConnectionMachine.fresh()
        let head = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n"
        #expect(machine.feed(head, limit: 100).event == "reject 413")
    }
}
