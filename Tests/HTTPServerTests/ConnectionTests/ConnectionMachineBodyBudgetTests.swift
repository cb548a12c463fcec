@testable import HTTPServer
import Testing

/// The server-wide budget for request bodies in flight (issue 12, item 3): a body reserves its
/// bytes before any is read, one that does not fit is refused from its head, and whatever ends
/// the body's state gives its bytes back.
@Suite("Connection state machine: the budget for bodies in flight")
struct ConnectionMachineBodyBudgetTests {
    static func machine(_ budget: RequestBodyBudget) -> ConnectionMachine {
        ConnectionMachine(limits: HTTPParserLimits(), outboundBound: ConnectionMachine.bound, probesEnabled: true,
                          now: 0, bodyBudget: budget)
    }

    static func post(_ length: Int) -> String { "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: \(length)\r\n\r\n" }

    @Test func aDeclaredLengthIsReservedWholeAndGivenBackWhenTheBodyIsComplete() {
        let budget = RequestBodyBudget(limit: 100)
        var machine = Self.machine(budget)
        #expect(machine.feed(Self.post(60), limit: 1000).event == "bodyStarted")
        #expect(budget.bytesInFlight == 60)
        #expect(machine.feed(String(repeating: "a", count: 60), limit: 1000).event.hasPrefix("request POST /a"))
        #expect(budget.bytesInFlight == 0)
    }

    @Test func aBodyThatWouldPassTheBudgetIsRefusedFromItsHeadUnread() {
        let budget = RequestBodyBudget(limit: 100)
        var first = Self.machine(budget)
        #expect(first.feed(Self.post(60), limit: 1000).event == "bodyStarted")
        var second = Self.machine(budget)
        let head = Self.post(41)
        #expect(second.feed(head + "xyz", limit: 1000) == (head.utf8.count, "refuseBodyBudget"))
        #expect(second.stateName == "closingAfterFlush")
        #expect(second.feed("more body").event == "dropped")
        #expect(budget.bytesInFlight == 60)
        #expect(budget.refused.load(ordering: .relaxed) == 1)
        // One that fits what is left still goes.
        var third = Self.machine(budget)
        #expect(third.feed(Self.post(40), limit: 1000).event == "bodyStarted")
        #expect(budget.bytesInFlight == 100)
    }

    @Test func closingTimingOutOrAbandoningMidBodyGivesTheBytesBack() {
        let budget = RequestBodyBudget(limit: 1000)
        var closed = Self.machine(budget)
        _ = closed.feed(Self.post(300) + "abc", limit: 1000)
        var timedOut = Self.machine(budget)
        _ = timedOut.feed(Self.post(300), limit: 1000)
        var abandoned = Self.machine(budget)
        _ = abandoned.feed(Self.post(300), limit: 1000)
        #expect(budget.bytesInFlight == 900)
        _ = closed.close()
        #expect(budget.bytesInFlight == 600)
        let timeout = timedOut.timedOut(.body, hasBufferedInput: false)
        #expect(timeout == .reject(.requestTimeout, reason: "the request body did not arrive in time"))
        #expect(budget.bytesInFlight == 300)
        let abandonedWithAnswer = abandoned.abandonRequest()
        #expect(abandonedWithAnswer)
        #expect(budget.bytesInFlight == 0)
    }

    @Test func aChunkedBodyReservesStepByStepAsItGrowsAndIsRefusedPastTheBudget() {
        let step = RequestBodyBudget.chunkedStep
        let budget = RequestBodyBudget(limit: 2 * step)
        var machine = Self.machine(budget)
        let head = "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(machine.feed(head, limit: 10 * step).event == "bodyStarted")
        #expect(budget.bytesInFlight == step)
        let piece = String(repeating: "c", count: step)
        let chunk = String(step, radix: 16) + "\r\n" + piece + "\r\n"
        #expect(machine.feed(chunk, limit: 10 * step).event == "needMore")
        #expect(budget.bytesInFlight == step, "a full first step needs no more")
        #expect(machine.feed(chunk, limit: 10 * step).event == "needMore")
        #expect(budget.bytesInFlight == 2 * step)
        #expect(machine.feed(chunk, limit: 10 * step).event == "refuseBodyBudget")
        #expect(machine.stateName == "closingAfterFlush")
        #expect(budget.bytesInFlight == 0)
    }

    @Test func noLimitCountsNothing() {
        let budget = RequestBodyBudget(limit: 0)
        var machine = Self.machine(budget)
        #expect(machine.feed(Self.post(5000), limit: 10_000).event == "bodyStarted")
        #expect(budget.bytesInFlight == 0)
    }
}
