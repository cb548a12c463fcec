import Testing
@testable import ExecutionCore

@Suite("Event encoding and the in-memory log")
struct EventEncodingTests {
    @Test("the fast timestamp writer matches Timestamp.iso8601")
    func timestamps() {
        var samples: [Int64] = [0, 999_999, 1_000_000, 951_782_400_000_000_000 /* 2000-02-29 */,
                                946_684_799_999_000_000 /* 1999-12-31T23:59:59.999 */, 4_107_542_400_000_000_000 /* 2100-03-01 */,
                                1_764_142_043_123_456_789, Int64.max]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { samples.append(Int64.random(in: 0...4_102_444_800_000_000_000, using: &generator)) }
        for ns in samples {
            var out: [UInt8] = []
            EventEnvelopeEncoder.writeTimestamp(Timestamp(nanoseconds: ns), into: &out)
            #expect(String(decoding: out, as: UTF8.self) == Timestamp(nanoseconds: ns).iso8601, "\(ns)")
        }
    }

    @Test("strings that need escaping are escaped like the JSON serializer does")
    func escaping() throws {
        for text in ["plain", "quo\"te", "back\\slash", "new\nline", "tab\t", "ctl\u{01}", "é😀", ""] {
            var out: [UInt8] = []
            EventEnvelopeEncoder.writeString(text, into: &out)
            var reference: [UInt8] = []
            JSONValue.writeString(text, into: &reference)
            #expect(out == reference)
            #expect(try JSONValue.parse(out) == .string(text))
        }
    }

    @Test("the ring keeps the newest events and answers 'after' at every boundary")
    func ring() {
        var log = InMemoryEventLog(capacity: 4)
        #expect(log.lastID == 0 && log.firstRetainedID == 1 && log.retainedCount == 0)
        var dropped = 0
        for id in UInt64(1)...10 {
            dropped += log.append(PublishedEvent(EventEnvelope(id: id, draft: draft(), json: [])))
        }
        #expect(dropped == 6)
        #expect(log.lastID == 10 && log.firstRetainedID == 7 && log.retainedCount == 4)
        #expect(log.events(after: 0).map(\.id) == [7, 8, 9, 10])
        #expect(log.events(after: 6).map(\.id) == [7, 8, 9, 10])
        #expect(log.events(after: 8).map(\.id) == [9, 10])
        #expect(log.events(after: 10).isEmpty)
        #expect(log.events(after: .max).isEmpty)
        let continued = InMemoryEventLog(capacity: 4, startingAfter: 41)
        #expect(continued.lastID == 41 && continued.firstRetainedID == 42 && continued.events(after: 0).isEmpty)
    }
}
