import Testing
@testable import ExecutionCore

@Suite("Context validation")
struct ContextValidationTests {
    let policy = ContextPolicy()
    let clock = ManualClock()

    func make(user: String = "alice", thread: String = "thread-1", run: String? = nil, websocket: String? = nil,
              agent: JSONObject = [:], audit: JSONObject = [:]) throws(ContextValidationError) -> UserExecutionContext {
        try policy.makeContext(userID: user, threadID: thread, runID: run, websocketClientID: websocket,
                               agentContext: agent, auditMetadata: audit, clock: clock)
    }

    func refusal(_ body: () throws(ContextValidationError) -> UserExecutionContext) -> ContextValidationError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    @Test("a valid context carries its fields, a generated run id and a UUID request id")
    func validContext() throws {
        let context = try make(websocket: "ws-42", agent: ["model": .string("m1")], audit: ["source": .string("api")])
        #expect(context.userID == "alice")
        #expect(context.threadID == "thread-1")
        #expect(context.websocketClientID == "ws-42")
        #expect(context.createdAt == clock.now())
        #expect(context.operationDepth == 0)
        #expect(context.parentRequestID == nil)
        #expect(context.agentContext == ["model": .string("m1")])
        #expect(context.runID.utf8.count == 36)
        #expect(context.requestID.utf8.count == 36)
        #expect(Array(context.requestID.utf8)[14] == UInt8(ascii: "4"))
        #expect(context.runID != context.requestID)
        let explicit = try make(run: "run-7")
        #expect(explicit.runID == "run-7")
    }

    @Test("system audit keys are added on top of the caller's audit metadata")
    func systemAuditKeys() throws {
        let context = try make(audit: ["source": .string("api")])
        #expect(context.auditMetadata["source"] == .string("api"))
        #expect(context.auditMetadata["context_created_at"] == .string(clock.now().iso8601))
        #expect(context.auditMetadata["context_version"] == .string("1"))
        #expect(context.auditMetadata["operation_depth"] == .integer(0))
        #expect(context.auditMetadata["parent_request_id"] == nil)
    }

    @Test("request ids are never repeated")
    func uniqueRequestIDs() throws {
        var seen = Set<String>()
        for _ in 0..<1000 { seen.insert(try make(run: "run-1").requestID) }
        #expect(seen.count == 1000)
    }

    @Test("each id field refuses empty, whitespace, too long and bad characters, naming the field",
          arguments: ["user_id", "thread_id", "run_id", "websocket_client_id"])
    func identifierRules(field: String) {
        func attempt(_ value: String) -> ContextValidationError? {
            refusal { () throws(ContextValidationError) in
                switch field {
                case "user_id": try make(user: value)
                case "thread_id": try make(thread: value)
                case "run_id": try make(run: value)
                default: try make(websocket: value)
                }
            }
        }
        let cases: [(String, ContextValidationError.Reason)] = [
            ("", .empty), ("   ", .empty), ("\t\n", .empty),
            (String(repeating: "a", count: 129), .tooLong),
            ("has space", .invalidCharacters), ("a/b", .invalidCharacters), ("tab\there", .invalidCharacters),
            ("caf\u{E9}", .invalidCharacters), ("bell\u{07}", .invalidCharacters), (" padded", .invalidCharacters),
            ("TEST", .placeholder),
        ]
        for (value, reason) in cases {
            let error = attempt(value)
            #expect(error?.field == field, "value \(value.debugDescription)")
            #expect(error?.reason == reason, "value \(value.debugDescription)")
            #expect(error?.message.contains(field) == true)
        }
        #expect(attempt(String(repeating: "a", count: 128)) == nil)
        #expect(attempt("A-z_0.9:~!") == nil)
    }

    @Test("placeholder values are refused whole, in any case, and with a _/- digits suffix", arguments: [
        "registry", "placeholder", "default", "temp", "none", "null", "undefined", "0", "1", "xxx", "yyy",
        "example", "test", "demo", "sample", "template", "mock", "fake", "dummy",
        "TEST", "Null", "NoNe", "placeholder_1", "temp-42", "TeSt_007", "demo-1", "1-1", "0_0", "MOCK-99999",
    ])
    func placeholdersRefused(value: String) {
        let error = refusal { () throws(ContextValidationError) in try make(user: value) }
        #expect(error?.reason == .placeholder)
        #expect(error?.field == "user_id")
    }

    @Test("values that merely contain a placeholder word are real ids", arguments: [
        "testing", "user_test", "test_", "test-", "test-abc", "test_1a", "test__1", "test-1-2", "_1", "10", "01",
        "nullable", "demo1", "xtest-1", "alice-test-3",
    ])
    func placeholderLookalikesAccepted(value: String) throws {
        _ = try make(user: value)
    }

    @Test("the placeholder and reserved-key lists are data")
    func listsAreData() throws {
        let custom = ContextPolicy(placeholderValues: ["banana"], reservedKeys: ["secret_sauce"])
        _ = try custom.makeContext(userID: "test", threadID: "null", agentContext: ["user_id": .string("x")], clock: clock)
        #expect(throws: ContextValidationError.self) {
            try custom.makeContext(userID: "BANANA-3", threadID: "t-1", clock: clock)
        }
        #expect(throws: ContextValidationError.self) {
            try custom.makeContext(userID: "u-1", threadID: "t-1", agentContext: ["secret_sauce": .null], clock: clock)
        }
    }

    @Test("reserved keys are refused in agent_context and audit_metadata", arguments: ContextPolicy.defaultReservedKeys)
    func reservedKeys(key: String) {
        let inAgent = refusal { () throws(ContextValidationError) in try make(agent: [key: .string("x")]) }
        #expect(inAgent?.field == "agent_context")
        #expect(inAgent?.reason == .reservedKey)
        #expect(inAgent?.message.contains(key) == true)
        let inAudit = refusal { () throws(ContextValidationError) in try make(audit: [key: .string("x")]) }
        #expect(inAudit?.field == "audit_metadata")
        #expect(inAudit?.reason == .reservedKey)
    }

    @Test("system audit keys cannot be supplied by the caller", arguments: Array(ContextPolicy.systemAuditKeys))
    func systemAuditKeysRefused(key: String) {
        let error = refusal { () throws(ContextValidationError) in try make(audit: [key: .string("forged")]) }
        #expect(error?.field == "audit_metadata")
        #expect(error?.reason == .reservedKey)
    }

    @Test("agent_context may be up to 64 KiB serialized, not one byte more")
    func sizeLimit() throws {
        let overhead = JSONValue.object(["blob": .string("")]).serialized().count
        let fits: JSONObject = ["blob": .string(String(repeating: "a", count: 65_536 - overhead))]
        #expect(JSONValue.object(fits).serialized().count == 65_536)
        _ = try make(agent: fits)
        let over: JSONObject = ["blob": .string(String(repeating: "a", count: 65_537 - overhead))]
        let error = refusal { () throws(ContextValidationError) in try make(agent: over) }
        #expect(error?.field == "agent_context")
        #expect(error?.reason == .tooLarge)
        // Escapes count as the serializer writes them.
        let escaped: JSONObject = ["blob": .string(String(repeating: "\n", count: (65_536 - overhead) / 2 + 1))]
        #expect(refusal { () throws(ContextValidationError) in try make(agent: escaped) }?.reason == .tooLarge)
        let audit = refusal { () throws(ContextValidationError) in try make(audit: over) }
        #expect(audit?.field == "audit_metadata")
        #expect(audit?.reason == .tooLarge)
    }

    @Test("the size meter agrees with the serializer byte for byte")
    func meterMatchesSerializer() throws {
        let samples: [JSONObject] = [
            [:],
            ["a": .null, "b": .bool(true), "c": .bool(false), "d": .integer(-1234567), "e": .integer(0)],
            ["q\"uote": .string("tab\t nl\n cr\r ctl\u{01} back\\slash é 😀"), "n": .double(-2.5e-7)],
            ["nested": .object(["list": .array([.integer(1), .array([]), .object([:]), .string("")])])],
            ["max": .integer(.max), "min": .integer(.min), "d": .double(1e300), "f": .double(0.1)],
        ]
        for sample in samples {
            let expected = JSONValue.object(sample).serialized().count
            #expect(JSONSizeMeter.measure(sample, limit: 1 << 20, maxNesting: 64) == .fits(bytes: expected))
        }
    }

    @Test("deep nesting is refused without exhausting the stack")
    func nestingLimit() throws {
        var deep = JSONValue.integer(1)
        for _ in 0..<10_000 { deep = .array([deep]) }
        let error = refusal { () throws(ContextValidationError) in try make(agent: ["deep": deep]) }
        #expect(error?.reason == .tooDeep)
        #expect(error?.field == "agent_context")
        var fine = JSONValue.integer(1)
        for _ in 0..<62 { fine = .object(["k": fine]) }
        _ = try make(agent: ["ok": fine])
    }

    @Test("nested values keep their JSON types")
    func nestedTypes() throws {
        let preferences: JSONObject = ["prefs": .object(["theme": .string("dark"), "size": .integer(3),
                                                         "ratio": .double(0.5), "flags": .array([.bool(true), .null])])]
        let context = try make(agent: preferences)
        #expect(context.agentContext == preferences)
        #expect(context.jsonValue["agent_context"] == .object(preferences))
    }

    @Test("jsonValue uses the SPEC field names and a stable shape")
    func jsonShape() throws {
        let context = try make(run: "run-1")
        let json = try #require(context.jsonValue.objectValue)
        #expect(Set(json.keys) == ["user_id", "thread_id", "run_id", "request_id", "websocket_client_id", "created_at",
                                   "agent_context", "audit_metadata", "operation_depth", "parent_request_id"])
        #expect(json["websocket_client_id"] == .null)
        #expect(json["parent_request_id"] == .null)
        #expect(json["run_id"] == .string("run-1"))
        #expect(json["created_at"] == .string(clock.now().iso8601))
        let parsed = try JSONValue.parse(context.jsonValue.serialized())
        #expect(parsed == context.jsonValue)
    }

    @Test("correlation id, scoped key and audit trail")
    func derivedViews() throws {
        let context = try make(user: "alice-in-wonderland", thread: "thread-123456789", run: "run-abcdefghij")
        let parts = context.correlationID.split(separator: ":").map(String.init)
        #expect(parts == ["alice-in", "thread-1", "run-abcd", String(context.requestID.prefix(8))])
        #expect(context.scopedKey("engine") == "engine:alice-in-wonderland:\(context.requestID)")
        clock.advance(by: .seconds(90))
        let trail = context.auditTrail(now: clock.now())
        #expect(trail.correlationID == context.correlationID)
        #expect(trail.age == .seconds(90))
        #expect(trail.auditMetadata == context.auditMetadata)
        #expect(trail.jsonValue["context_age_seconds"] == .double(90))
        #expect(trail.jsonValue["request_id"] == .string(context.requestID))
    }

    @Test("validate returns the same value; a forged context is refused with the breaking field")
    func validateRefusesForgeries() throws {
        let context = try make()
        #expect(try policy.validate(context) == context)
        func forged(user: String = "alice", depth: Int = 0, parent: String? = nil,
                    agent: JSONObject = [:], audit: JSONObject? = nil) -> UserExecutionContext {
            UserExecutionContext(userID: user, threadID: "thread-1", runID: "run-1", requestID: "req-1",
                                 websocketClientID: nil, createdAt: clock.now(), agentContext: agent,
                                 auditMetadata: audit ?? ["operation_depth": .integer(Int64(depth))],
                                 operationDepth: depth, parentRequestID: parent)
        }
        let cases: [(UserExecutionContext, String, ContextValidationError.Reason)] = [
            (forged(user: "placeholder"), "user_id", .placeholder),
            (forged(user: ""), "user_id", .empty),
            (forged(depth: 11, parent: "req-0"), "operation_depth", .depthExceeded),
            (forged(depth: 2), "parent_request_id", .inconsistent),
            (forged(agent: ["thread_id": .string("other")]), "agent_context", .reservedKey),
            (forged(audit: [:]), "audit_metadata", .inconsistent),
        ]
        for (value, field, reason) in cases {
            let error = #expect(throws: ContextValidationError.self) { try policy.validate(value) }
            #expect(error?.field == field)
            #expect(error?.reason == reason)
        }
        // A laxer policy's context is refused by the stricter one.
        let lax = ContextPolicy(placeholderValues: [])
        let laxContext = try lax.makeContext(userID: "test", threadID: "thread-1", clock: clock)
        #expect(throws: ContextValidationError.self) { try policy.validate(laxContext) }
    }

    @Test("contexts are values: a copy's JSON can change without touching the original")
    func valueSemantics() throws {
        let context = try make(agent: ["prefs": .object(["theme": .string("dark")])])
        var copy = context.agentContext
        copy["prefs"] = .object(["theme": .string("light")])
        #expect(context.agentContext["prefs"]?["theme"] == .string("dark"))
        let other = try make(agent: ["prefs": .object(["theme": .string("dark")])])
        #expect(context != other)
        #expect(context.agentContext == other.agentContext)
    }
}

@Suite("Context timestamps")
struct ContextTimestampTests {
    @Test("the fast ISO 8601 writer writes exactly what gmtime_r gives", arguments: [
        Int64(0), 1, 999_999_999, 1_000_000_000, 951_782_400_123_000_000, 1_700_000_000_000_000_000,
        1_709_164_799_999_999_999, 4_102_444_800_000_000_000, 9_000_000_000_123_456_789, .max, -1, -86_400_000_000_001,
    ])
    func matchesISO8601(nanoseconds: Int64) {
        let timestamp = Timestamp(nanoseconds: nanoseconds)
        #expect(timestamp.iso8601 == timestamp.gmtimeISO8601)
    }

    @Test("the fast ISO 8601 writer matches gmtime_r across many days and leap years")
    func sweep() {
        var nanoseconds: Int64 = 0
        for _ in 0..<20_000 {
            let timestamp = Timestamp(nanoseconds: nanoseconds)
            #expect(timestamp.iso8601 == timestamp.gmtimeISO8601)
            nanoseconds += 3_600_000_000_000 * 13 + 7_654_321_987
        }
    }
}
