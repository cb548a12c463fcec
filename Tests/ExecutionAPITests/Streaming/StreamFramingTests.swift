@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import IsolationdTesting
import Testing

@Suite("SSE framing and the event-stream parser")
struct StreamFramingTests {
    static func envelope(id: UInt64, data: JSONValue) -> EventEnvelope {
        let hub = EventHub()
        var last = EventEnvelope(id: 0, draft: draft(data), json: [])
        for _ in 0..<id { last = hub.publish(draft(data)).envelope }
        return last
    }

    static func draft(_ data: JSONValue) -> EventDraft {
        EventDraft(type: .toolCompleted, identity: EventIdentity(userID: "u-1", threadID: "t-1", runID: "r-1",
                                                                 requestID: "q-1", engineID: "e-1"),
                   executionID: "x-1", agent: "tools", timestamp: Timestamp(nanoseconds: 1_700_000_000_000_000_000), data: data)
    }

    @Test("an envelope is one id/event/data block whose data is the hub's JSON byte for byte, even with newlines in strings")
    func eventFrame() {
        let event = Self.envelope(id: 12, data: .object(["text": .string("line one\nline two\r\nthree\u{2028}")]))
        var out: [UInt8] = []
        SSEFraming.appendEvent(PublishedEvent(event), to: &out)
        var parser = SSEParser()
        let items = parser.feed(out)
        #expect(items == [.event(SSEEvent(id: "12", event: "tool_completed", data: String(decoding: event.json, as: UTF8.self)))])
        #expect(!event.json.contains(0x0A) && !event.json.contains(0x0D))
        #expect(parser.lastEventID == "12")
    }

    @Test("decimal ids", arguments: [UInt64(0), 7, 10, 99, 1_000_000, .max])
    func decimal(_ value: UInt64) {
        var out: [UInt8] = []
        SSEFraming.appendDecimal(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == String(value))
    }

    @Test("notices carry no id, so they never move the client's Last-Event-ID")
    func notices() throws {
        var out: [UInt8] = []
        SSEFraming.appendEvent(PublishedEvent(Self.envelope(id: 3, data: .null)), to: &out)
        SSEFraming.appendNotice(event: "gap", json: StreamNotice.gap(EventGap(requestedAfter: 1, firstAvailableID: 9, lostCount: 7)), to: &out)
        var parser = SSEParser()
        let items = parser.feed(out)
        #expect(items.count == 2)
        guard case .event(let gap) = items.last else { Issue.record("no gap event"); return }
        #expect(gap.id == nil)
        #expect(gap.event == "gap")
        #expect(try JSONValue.parse(gap.data)["lost_count"] == .integer(7))
        #expect(parser.lastEventID == "3")
    }

    @Test("the parser follows the HTML rules: CR/LF/CRLF, comments, one optional space, multi-line data, retry digits only")
    func parserRules() {
        var parser = SSEParser()
        let text = ": hello\r\nretry: 250\nretry: 12x\rdata:a\ndata:  b\r\nid: 5\nevent: custom\n\nid\n\ndata\nfield-without-colon\n\n"
        // Fed one byte at a time: splitting anywhere gives the same items.
        var items: [SSEItem] = []
        for byte in Array(text.utf8) { items += parser.feed([byte]) }
        #expect(items == [.comment("hello"), .retry(250), .event(SSEEvent(id: "5", event: "custom", data: "a\n b")),
                          .event(SSEEvent(id: nil, event: "message", data: ""))])
        #expect(parser.lastEventID == "")
    }
}

@Suite("WebSocket client messages and stream request parameters")
struct StreamRequestTests {
    @Test("valid subscribe messages", arguments: [
        (#"{"subscribe": {"thread_id": "t-1", "run_id": "r-1"}, "after": 42}"#, EventFilter(threadID: "t-1", runID: "r-1"), UInt64?(42)),
        (#"{"subscribe": null}"#, EventFilter(), nil),
        (#"{"subscribe": {}, "after": null}"#, EventFilter(), nil),
        (#"{"subscribe": {"execution_id": "x-9", "thread_id": null}, "after": 0}"#, EventFilter(executionID: "x-9"), 0),
    ])
    func validMessages(_ text: String, _ filter: EventFilter, _ after: UInt64?) throws {
        #expect(try StreamClientMessage.parse(text) == StreamClientMessage(filter: filter, after: after))
    }

    @Test("invalid messages are refused with a reason, never a crash", arguments: [
        "", "nul", "[]", "42", #"{"after": 1}"#, #"{"subscribe": []}"#, #"{"subscribe": {"user_id": "x"}}"#,
        #"{"subscribe": {}, "after": -1}"#, #"{"subscribe": {}, "after": 1.5}"#, #"{"subscribe": {}, "after": "7"}"#,
        #"{"subscribe": {"thread_id": ""}}"#, #"{"subscribe": {"thread_id": "a b"}}"#, #"{"subscribe": {"run_id": 5}}"#,
        #"{"subscribe": {}, "extra": true}"#, String(repeating: "[", count: 10_000),
    ])
    func invalidMessages(_ text: String) {
        #expect(throws: StreamClientMessage.Invalid.self) { try StreamClientMessage.parse(text) }
    }

    static func request(_ target: String, headers: HTTPHeaders = [:]) -> HTTPRequest {
        HTTPRequest(method: .get, target: target, headers: headers)
    }

    @Test("the cursor: Last-Event-ID beats the query; empty header means none; garbage is refused")
    func cursor() throws {
        #expect(try StreamRequestParsing.cursor(Self.request("/v1/events")) == nil)
        #expect(try StreamRequestParsing.cursor(Self.request("/v1/events?after=5")) == 5)
        #expect(try StreamRequestParsing.cursor(Self.request("/v1/events?last_event_id=6&after=5")) == 6)
        #expect(try StreamRequestParsing.cursor(Self.request("/v1/events?after=5", headers: ["Last-Event-ID": "9"])) == 9)
        #expect(try StreamRequestParsing.cursor(Self.request("/v1/events", headers: ["Last-Event-ID": ""])) == nil)
        for bad in ["/v1/events?after=-1", "/v1/events?after=1e3", "/v1/events?after=99999999999999999999999"] {
            #expect(throws: ProblemDetails.self) { try StreamRequestParsing.cursor(Self.request(bad)) }
        }
        #expect(throws: ProblemDetails.self) {
            try StreamRequestParsing.cursor(Self.request("/v1/events", headers: HTTPHeaders([("Last-Event-ID", "1"), ("Last-Event-ID", "2")])))
        }
    }

    /// Found by schemathesis: a valid Last-Event-ID made the server accept any `after`, because
    /// only the winning source was read. Every source given is checked now.
    @Test("the cursor: every source given is checked, the ones that lose included")
    func cursorChecksEverySource() throws {
        let header: HTTPHeaders = ["Last-Event-ID": "9"]
        for (target, field) in [("/v1/events?after=x", "after"), ("/v1/events?last_event_id=-1", "last_event_id"),
                                ("/v1/events?last_event_id=1&after=", "after")] {
            for headers in [header, ["Last-Event-ID": ""], [:]] {
                do {
                    _ = try StreamRequestParsing.cursor(Self.request(target, headers: headers))
                    Issue.record("\(target) with \(headers) was accepted")
                } catch {
                    #expect(error.extensions["field"] == .string(field), "\(target)")
                }
            }
        }
        #expect(try StreamRequestParsing.cursor(Self.request("/v1/events?last_event_id=3&after=4", headers: header)) == 9)
        #expect(try StreamRequestParsing.cursor(Self.request("/v1/events?after=18446744073709551615")) == UInt64.max)
    }

    @Test("filters from the query, percent-decoded and validated")
    func filters() throws {
        let filter = try StreamRequestParsing.filter(Self.request("/v1/events?thread_id=t%2D1&execution_id=x"))
        #expect(filter == EventFilter(threadID: "t-1", executionID: "x"))
        let long = String(repeating: "a", count: 129)
        for bad in ["/v1/events?run_id=", "/v1/events?thread_id=a%2Fb", "/v1/events?thread_id=\(long)"] {
            #expect(throws: ProblemDetails.self) { try StreamRequestParsing.filter(Self.request(bad)) }
        }
    }
}
