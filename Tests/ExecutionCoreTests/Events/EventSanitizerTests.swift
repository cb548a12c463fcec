import Testing
@testable import ExecutionCore

@Suite("Event sanitising")
struct EventSanitizerTests {
    @Test("secret-looking keys are redacted at any depth, case-insensitively, whatever their value")
    func redaction() {
        let sanitizer = EventSanitizer()
        let data: JSONValue = .object([
            "Password": .string("hunter2"),
            "nested": .object(["user_api_key": .string("k"), "X-Authorization-Header": .object(["a": .integer(1)]),
                               "list": .array([.object(["refresh_TOKEN": .string("t"), "fine": .string("ok")])])]),
            "credentials": .array([.string("a")]),
            "client_secret": .null,
            "reasoning": .string("kept"),
        ])
        let clean = sanitizer.sanitize(data)
        #expect(clean["Password"] == .string("[REDACTED]"))
        #expect(clean["nested"]?["user_api_key"] == .string("[REDACTED]"))
        #expect(clean["nested"]?["X-Authorization-Header"] == .string("[REDACTED]"))
        #expect(clean["nested"]?["list"]?.arrayValue?.first?["refresh_TOKEN"] == .string("[REDACTED]"))
        #expect(clean["nested"]?["list"]?.arrayValue?.first?["fine"] == .string("ok"))
        #expect(clean["credentials"] == .string("[REDACTED]"))
        #expect(clean["client_secret"] == .string("[REDACTED]"))
        #expect(clean["reasoning"] == .string("kept"))
    }

    @Test("the redaction list is configuration")
    func configurableKeys() {
        let sanitizer = EventSanitizer(.init(redactKeys: ["ssn"]))
        let clean = sanitizer.sanitize(.object(["SSN_number": .string("1"), "password": .string("p")]))
        #expect(clean == .object(["SSN_number": .string("[REDACTED]"), "password": .string("p")]))
    }

    @Test("long strings are cut on a character boundary with a marker")
    func strings() {
        let sanitizer = EventSanitizer(.init(maxStringBytes: 20))
        let text = String(repeating: "a", count: 19) + "é" + String(repeating: "b", count: 10) // é is 2 bytes, straddles 20
        guard case .string(let cut) = sanitizer.sanitize(.string(text)) else { Issue.record("not a string"); return }
        #expect(cut.hasPrefix(String(repeating: "a", count: 19) + "…[truncated"))
        #expect(cut.hasSuffix("[truncated 12 bytes]"))
        #expect(sanitizer.sanitize(.string("short")) == .string("short"))
    }

    @Test("arrays and objects are bounded with a marker; depth is bounded")
    func containers() {
        let sanitizer = EventSanitizer(.init(maxArrayItems: 3, maxObjectMembers: 2, maxDepth: 3))
        let array = sanitizer.sanitize(.array((0..<10).map { .integer($0) }))
        #expect(array == .array([.integer(0), .integer(1), .integer(2), .string("[7 more items truncated]")]))
        let object = sanitizer.sanitize(.object(["c": .integer(3), "a": .integer(1), "b": .integer(2)]))
        #expect(object == .object(["a": .integer(1), "b": .integer(2), "_truncated": .string("1 more members truncated")]))
        let deep: JSONValue = .object(["l1": .object(["l2": .object(["l3": .object(["l4": .integer(4)])])])])
        #expect(sanitizer.sanitize(deep) == .object(["l1": .object(["l2": .object(["l3": .string("[depth limit]")])])]))
    }

    @Test("values needing no change come back equal")
    func untouched() {
        let sanitizer = EventSanitizer()
        let data: JSONValue = .object(["step": .integer(1), "tool_name": .string("search"),
                                       "parameters": .object(["q": .string("x"), "n": .array([.bool(true), .null, .double(1.5)])])])
        #expect(sanitizer.sanitize(data) == data)
    }

    @Test("the hub sanitises before fan-out: data and serialized JSON agree; oversized data is summarised")
    func hubSanitises() throws {
        let hub = EventHub(configuration: .init(sanitizer: .init(maxStringBytes: 1000, maxDataBytes: 4096)))
        let subscription = try hub.subscribe(userID: "alice", wake: {})
        hub.publish(draft(data: .object(["api_key": .string("sk-live-123"), "ok": .integer(1)])))
        hub.publish(draft(data: .object(["blob": .array((0..<50).map { _ in .string(String(repeating: "x", count: 900)) })])))
        let events = subscription.next().events
        #expect(events[0].data == .object(["api_key": .string("[REDACTED]"), "ok": .integer(1)]))
        #expect(!String(decoding: events[0].json, as: UTF8.self).contains("sk-live-123"))
        #expect(try JSONValue.parse(events[0].json)["data"] == events[0].data)
        #expect(events[1].data["truncated"] == .bool(true))
        #expect((events[1].data["original_bytes"]?.int64Value ?? 0) > 4096)
        #expect(events[1].json.count < 4096)
    }

    @Test("the one-pass writer agrees with the rules: clean data is written as is, anything to change is refused",
          arguments: [
              JSONValue.object(["step": .integer(1), "list": .array([.bool(true), .null, .double(2.5), .string("a\"b\n")])]),
              .object(["deep": .object(["ok": .object(["fine": .integer(3)])])]),
              .object(["outer": .object(["Refresh_Token": .string("x")])]),
              .array([.string(String(repeating: "y", count: 40))]),
              .array((0..<6).map { .integer($0) }),
              .object(["a": .integer(1), "b": .integer(2), "c": .integer(3), "d": .integer(4), "e": .integer(5)]),
              .object(["l1": .object(["l2": .object(["l3": .object(["l4": .null])])])]),
              .string("plain"), .null, .integer(-7),
          ])
    func onePassWriterAgrees(data: JSONValue) throws {
        let sanitizer = EventSanitizer(.init(maxStringBytes: 32, maxArrayItems: 5, maxObjectMembers: 4, maxDepth: 3))
        var written: [UInt8] = []
        let clean = sanitizer.writeIfClean(data, into: &written)
        #expect(clean == (sanitizer.sanitizedIfChanged(data) == nil))
        if clean {
            var reference: [UInt8] = []
            data.write(into: &reference, memberOrder: .asStored)
            #expect(written == reference)
            #expect(try JSONValue.parse(written) == data)
        }
    }

    @Test("the hub writes the sanitised form when the data needs changing, whatever the data's size")
    func hubWritesSanitisedForm() throws {
        let hub = EventHub(configuration: .init(sanitizer: .init(maxStringBytes: 64)))
        let subscription = try hub.subscribe(userID: "alice", wake: {})
        let long = String(repeating: "z", count: 500)
        hub.publish(draft(data: .object(["note": .string(long), "nested": .object(["password": .string("hunter2")])])))
        let event = try #require(subscription.next().events.first)
        let text = String(decoding: event.json, as: UTF8.self)
        #expect(!text.contains("hunter2"))
        #expect(!text.contains(long))
        #expect(try JSONValue.parse(event.json)["data"] == event.data)
        #expect(event.data["nested"]?["password"] == .string("[REDACTED]"))
    }
}
