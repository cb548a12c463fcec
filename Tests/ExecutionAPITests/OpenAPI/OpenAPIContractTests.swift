@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Testing

/// The document's string rules say exactly what the validation code accepts: each schema is
/// evaluated here (lengths in characters, `pattern`, `not`) on values at and around every
/// boundary, and must agree with the code that answers the request.
@Suite("OpenAPI contract: schemas agree with the validation code")
struct OpenAPIContractTests {
    /// Whether the string schema `schema` admits `value` (the keywords the document uses).
    static func admits(_ schema: JSONValue, _ value: String) throws -> Bool {
        if let minimum = schema["minLength"]?.int64Value, value.unicodeScalars.count < minimum { return false }
        if let maximum = schema["maxLength"]?.int64Value, value.unicodeScalars.count > maximum { return false }
        if let pattern = schema["pattern"]?.stringValue, try Regex(pattern).firstMatch(in: value) == nil { return false }
        if let excluded = schema["not"], try admits(excluded, value) { return false }
        if let all = schema["allOf"]?.arrayValue { for part in all where try !admits(part, value) { return false } }
        return true
    }

    static let contract = OpenAPIContract(settings: ServiceSettings())
    static let long = String(repeating: "a", count: 128)

    @Test("event ids (after, last_event_id, Last-Event-ID): the document's pattern is the parser's range, 0 to 2^64-1")
    func eventIDs() throws {
        let schema: JSONValue = .object(["pattern": .string("^" + DecimalPattern.notAbove(UInt64.max) + "$")])
        let samples = ["0", "7", "0000000000000000007", "00000000000000000007", "9223372036854775807", "9223372036854775808",
                       "18446744073709551615", "18446744073709551616", "18446744073709551609", "18446744073709551710",
                       "19000000000000000000", "99999999999999999999", "000000000000000000000", "", "-1", "+1", "1.5", "1e3", " 1"]
        for sample in samples {
            let parsed = (try? StreamRequestParsing.eventID(sample, field: "after")) != nil
            #expect(try Self.admits(schema, sample) == parsed, "\(sample)")
        }
    }

    @Test("ids a caller chooses (thread_id, run_id, websocket_client_id): the context policy's rule, placeholders too")
    func contextIdentifiers() throws {
        let schema = Self.contract.contextIdentifier("x")
        let policy = ContextPolicy()
        let samples = ["thread-42", "a", "test", "TEST", "Test_12", "test-7", "test_", "test-x", "tester", "atest", "0", "1",
                       "0_1", "10", "null", "NULL", "none-3", "a/b", "a b", "\t", "", "é", "x~!", Self.long, Self.long + "a",
                       "placeholder_99", "demo-", "dummy--1", "_1"]
        for sample in samples {
            let accepted = (try? policy.makeContext(userID: "u", threadID: sample)) != nil
            #expect(try Self.admits(schema, sample) == accepted, "\(sample)")
        }
    }

    @Test("path ids and id filters: APIRequest.isPlausibleID")
    func plausibleIDs() throws {
        for sample in ["abc", "a/b", "", " ", "é", "~", Self.long, Self.long + "b", "3320728a-194a-4cad-b8cc-ffb2732d5983", "a%2F"] {
            #expect(try Self.admits(Self.contract.plausibleID, sample) == APIRequest.isPlausibleID(sample), "\(sample)")
        }
    }

    @Test("list cursors: the pattern of each list is what ListCursor.decode accepts for it")
    func cursors() throws {
        let key = ListingKey(createdAt: Timestamp(nanoseconds: 1_764_774_229_094_000_000), id: "3320728a-194a-4cad-b8cc-ffb2732d5983")
        let samples = [ListCursor.encode(key, list: "runs"), ListCursor.encode(key, list: "engines"), "v1.runs.0.a",
                       "v1.runs.9223372036854775807.x.y", "v1.runs.9223372036854775808.x", "v1.runs.-1.x", "v1.runs..x",
                       "v1.runs.1.", "v1.runs.1.a/b", "v2.runs.1.a", "garbage", "", "v1.runs.00000000000000000001.a",
                       "v1.runs.0000000000000000001.a", "v1.runs.1." + Self.long, "v1.runs.1." + Self.long + "x"]
        let schema: JSONValue = .object(["pattern": .string(ListCursor.pattern(list: "runs"))])
        for sample in samples {
            let decoded = (try? ListCursor.decode(sample, list: "runs")) != nil
            #expect(try Self.admits(schema, sample) == decoded, "\(sample)")
        }
        #expect(try ListCursor.decode(ListCursor.encode(key, list: "runs"), list: "runs") == key)
    }

    @Test("operation_name: 1 to 128 characters, not only spaces, no control characters (ChildContext)")
    func operationNames() throws {
        let schemas = try #require(OpenAPIComponents.requestSchemas(Self.contract)["ChildCreate"])
        let schema = try #require(schemas["properties"]?["operation_name"])
        let parent = try ContextPolicy().makeContext(userID: "u", threadID: "thread")
        let wide = String(repeating: "é", count: 128)
        for sample in ["search", "search the web", " ", "   ", "", "a\tb", "a\u{7F}", "a\u{1F}", "\u{85}", wide, wide + "é",
                       String(repeating: "😀", count: 128), Self.long, Self.long + "a", " x "] {
            let accepted = (try? parent.child(operationName: sample, policy: ContextPolicy())) != nil
            #expect(try Self.admits(schema, sample) == accepted, "\(sample.debugDescription)")
        }
    }
}
