import Testing
@testable import HTTPServer

/// Every contract rule as a table row, fed whole, one byte at a time and in seeded random
/// splits: the incremental path must give the same outcome as the whole buffer.
@Suite("HTTP parser rules")
struct HeadParserRuleTests {
    @Test("valid heads", arguments: HeadAcceptRows.all)
    func accepts(_ row: HeadRow) {
        check(row)
    }

    @Test("rejected heads", arguments: HeadRejectRows.all)
    func rejects(_ row: HeadRow) {
        check(row)
    }

    private func check(_ row: HeadRow) {
        for cuts in Splits.all(row.bytes.count, seedName: row.name) {
            var parser = HTTPHeadParser(limits: row.limits)
            let outcome = HeadFeeder.outcome(row.bytes, cuts: cuts, parser: &parser)
            #expect(outcome == row.expectedOutcome, "\(row.name), cuts \(cuts.count == 1 ? "whole" : "\(cuts.prefix(12))")")
            // Whatever happened, the same parser reads the next request without a reset (rows
            // with tiny limits are covered by the behaviour tests instead).
            guard row.limits == HTTPParserLimits() else { continue }
            let nextRequest = utf8Bytes("GET /next HTTP/1.1\r\nHost: n\r\n\r\n")
            let next = HeadFeeder.outcome(nextRequest, cuts: [nextRequest.count], parser: &parser)
            #expect(next == .head(HeadSummary(target: "/next", headers: ["Host: n"]), consumed: nextRequest.count),
                    "\(row.name): reuse")
        }
    }
}
