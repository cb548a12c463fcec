import Testing
@testable import HTTPServer

@Suite("HTTP parser chunked body")
struct ChunkedBodyParserTests {
    /// Every row whole, one byte at a time, split in two at every offset and in random splits.
    @Test("chunked rules", arguments: ChunkedRows.all)
    func rule(_ row: ChunkedRow) {
        for cuts in ChunkedFeeder.allSplits(row.bytes.count, seedName: row.name) {
            let outcome = ChunkedFeeder.outcome(row.bytes, cuts: cuts, maxBodyBytes: row.maxBodyBytes, limits: row.limits)
            #expect(outcome == row.expected, "\(row.name), cuts \(cuts.count == 1 ? "whole" : "\(cuts.prefix(12))")")
        }
    }

    @Test("a complete body takes no more bytes, and an error is sticky")
    func afterTheEnd() throws {
        var decoder = ChunkedBodyDecoder(maxBodyBytes: 100)
        var body: [UInt8] = []
        let input = utf8Bytes("1\r\na\r\n0\r\n\r\nGET")
        let used = try input.withUnsafeBytes { try decoder.decode($0, into: &body) }
        #expect(used == input.count - 3 && decoder.isComplete && body == utf8Bytes("a"))
        #expect(try input.withUnsafeBytes { try decoder.decode(UnsafeRawBufferPointer(rebasing: $0[used...]), into: &body) } == 0)

        var broken = ChunkedBodyDecoder(maxBodyBytes: 100)
        for _ in 0..<2 {
            #expect(throws: HTTPParseError(status: .badRequest, reason: "malformed chunk size")) {
                try utf8Bytes("zz\r\n").withUnsafeBytes { try broken.decode($0, into: &body) }
            }
        }
        #expect(!broken.isComplete)
    }

    @Test("payload is appended after what the body already holds")
    func appends() throws {
        var decoder = ChunkedBodyDecoder(maxBodyBytes: 3)
        var body = utf8Bytes("xyz")
        _ = try utf8Bytes("3\r\nabc\r\n0\r\n\r\n").withUnsafeBytes { try decoder.decode($0, into: &body) }
        #expect(body == utf8Bytes("xyzabc") && decoder.isComplete)
    }
}
