import Testing
@testable import ExecutionCore

@Suite("JSON parsing and serialization")
struct JSONValueTests {
    @Test("round trip keeps types and sorts keys")
    func roundTrip() throws {
        let text = #"{"b":[1,2.5,-3,true,false,null],"a":{"nested":"x\"y\\z\n\u00e9\ud83d\ude00"},"c":1e3}"#
        let value = try JSONValue.parse(text)
        #expect(value["b"]?.arrayValue?[0] == .integer(1))
        #expect(value["b"]?.arrayValue?[1] == .double(2.5))
        #expect(value["c"] == .double(1000))
        #expect(value["a"]?["nested"]?.stringValue == "x\"y\\z\né😀")
        let again = try JSONValue.parse(value.serialized())
        #expect(again == value)
        #expect(value.serializedString().hasPrefix(#"{"a":"#))
    }

    @Test("strict refusals", arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "01", "1.", "-", "1e", "tru", "nul",
        "\"abc", "\"a\u{01}b\"", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "{\"a\":1,\"a\":2}",
        "1 2", "[1]x", "{a:1}", "'a'", "NaN", "1e999",
    ])
    func refusals(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test("invalid UTF-8 is refused")
    func invalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test("nesting is bounded instead of exhausting the stack")
    func depthLimit() throws {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        _ = try JSONValue.parse(fine)
    }

    @Test("integers at the Int64 edges stay exact; beyond become doubles")
    func integerEdges() throws {
        #expect(try JSONValue.parse("9223372036854775807") == .integer(.max))
        #expect(try JSONValue.parse("-9223372036854775808") == .integer(.min))
        #expect(try JSONValue.parse("9223372036854775808") == .double(9223372036854775808))
        #expect(JSONValue.integer(-42).serializedString() == "-42")
        #expect(JSONValue.integer(.min).serializedString() == "-9223372036854775808")
    }

    @Test("control characters are escaped on output")
    func escaping() throws {
        let value = JSONValue.string("a\u{01}\t\"")
        #expect(value.serializedString() == #""a\u0001\t\"""#)
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test("timestamps format as RFC 3339 UTC with milliseconds")
    func timestamps() {
        #expect(Timestamp(nanoseconds: 0).iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(nanoseconds: 1_795_678_043_123_456_789).iso8601 == "2026-11-26T07:27:23.123Z")
    }

    @Test("random identifiers are well-formed v4 UUIDs and distinct")
    func identifiers() {
        var seen = Set<String>()
        for _ in 0..<2000 {
            let id = RandomIdentifier.uuid()
            #expect(id.count == 36)
            #expect(Array(id.utf8)[14] == UInt8(ascii: "4"))
            seen.insert(id)
        }
        #expect(seen.count == 2000)
    }
}
