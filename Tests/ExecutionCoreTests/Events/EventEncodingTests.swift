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
        samples.append(-1_500_000_000) // before 1970: the slow path
        for ns in samples {
            #expect(Timestamp(nanoseconds: ns).iso8601 == Timestamp(nanoseconds: ns).gmtimeISO8601, "\(ns)")
        }
    }

    @Test("strings that need escaping are escaped like the JSON serializer does, at every position")
    func escaping() throws {
        var texts = ["plain", "quo\"te", "back\\slash", "new\nline", "tab\t", "ctl\u{01}", "é😀", "", "\u{7F}ok", "ééééééééé"]
        // Each special byte at each offset of a 17-byte string (the 8-byte scan and its tail).
        for special in ["\"", "\\", "\u{1F}", "\u{00}"] {
            for offset in 0..<17 {
                var characters = Array(repeating: "a", count: 17)
                characters[offset] = special
                texts.append(characters.joined())
            }
        }
        for text in texts {
            var out: [UInt8] = []
            EventJSON.writeString(text, into: &out)
            var reference: [UInt8] = []
            JSONValue.writeString(text, into: &reference)
            #expect(out == reference)
            #expect(try JSONValue.parse(out) == .string(text))
        }
    }

    @Test("data is written as valid JSON equal to the value (object members in any order)")
    func values() throws {
        let values: [JSONValue] = [
            .null, .bool(true), .bool(false), .integer(0), .integer(-42), .integer(.min), .integer(.max), .double(1.5),
            .string("x\"y"), .array([]), .object([:]),
            .object(["a": .array([.integer(1), .object(["b": .null, "c": .string("é")])]), "d": .double(-0.25), "e": .bool(false)]),
        ]
        for value in values {
            var out: [UInt8] = []
            value.write(into: &out, memberOrder: .asStored)
            #expect(try JSONValue.parse(out) == value)
        }
    }

    @Test("identities that need escaping and times before 1970 still give exact envelopes")
    func slowPaths() throws {
        let hub = EventHub()
        let subscription = try hub.subscribe(userID: "we\"ird\\user", wake: {})
        var odd = draft(user: "we\"ird\\user", thread: "tab\there", at: Timestamp(nanoseconds: -86_400_000_000_000))
        odd.agent = "agent\u{01}"
        hub.publish(odd)
        let json = try JSONValue.parse(try #require(subscription.next().events.first).json)
        #expect(json["user_id"] == .string("we\"ird\\user"))
        #expect(json["thread_id"] == .string("tab\there"))
        #expect(json["agent"] == .string("agent\u{01}"))
        #expect(json["timestamp"] == .string(Timestamp(nanoseconds: -86_400_000_000_000).iso8601))
    }

    @Test("interleaved runs of one user each keep their own identity in the JSON (prefix cache)")
    func interleavedRuns() throws {
        let hub = EventHub()
        let subscription = try hub.subscribe(userID: "alice", wake: {})
        for n in 0..<30 {
            hub.publish(draft(thread: "t\(n % 6)", run: "r\(n % 6)", execution: "e\(n % 6)"))
        }
        for (n, event) in subscription.next().events.enumerated() {
            let json = try JSONValue.parse(event.json)
            #expect(json["thread_id"] == .string("t\(n % 6)"))
            #expect(json["run_id"] == .string("r\(n % 6)"))
            #expect(json["execution_id"] == .string("e\(n % 6)"))
            #expect(json["id"] == .integer(Int64(n + 1)))
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
