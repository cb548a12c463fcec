@testable import ExecutionAPI
import ExecutionCore
import Testing

@Suite("Answer serialization")
struct AnswerSerializationTests {
    /// Documents and their canonical form, written out by hand: compact, object keys sorted at
    /// every depth, strings escaped as RFC 8259 asks.
    static let documents: [(document: String, canonical: String)] = [
        (#"{"b": 1, "a": [true, null, {"z": "x\"y", "y": -2.5}], "c": {}, "d": [], "é": "\u0001"}"#,
         #"{"a":[true,null,{"y":-2.5,"z":"x\"y"}],"b":1,"c":{},"d":[],"é":"\u0001"}"#),
        (#"[{"k": {"k": {"k": [1, 2, {"b": 0, "a": 1}]}}}]"#, #"[{"k":{"k":{"k":[1,2,{"a":1,"b":0}]}}}]"#),
        (#""plain""#, #""plain""#), ("42", "42"), ("null", "null"),
    ]

    @Test("a JSON answer carries the canonical bytes (keys sorted at every depth)", arguments: documents)
    func sameBytes(_ document: String, _ canonical: String) throws {
        let value = try JSONValue.parse(document)
        let answer = APIRoutes.json(.ok, value)
        guard case .bytes(let bytes) = answer.body else { Issue.record("no body"); return }
        #expect(bytes == Array(canonical.utf8))
        #expect(bytes == value.serialized())
    }

    /// The test oracle: the core's document of the context plus its id, built as a JSON value.
    static func contextOracle(_ context: UserExecutionContext) -> JSONValue {
        guard case .object(var object) = context.jsonValue else { return context.jsonValue }
        object["id"] = .string(context.requestID)
        return .object(object)
    }

    @Test("a context's direct answer equals its JSON value with id, for roots and children")
    func contextAnswer() throws {
        let policy = ContextPolicy()
        let root = try policy.makeContext(userID: "user-a", threadID: "thread-a", websocketClientID: "ws-1",
                                          agentContext: ["prefs": .object(["tone": .string("brief"), "n": .integer(3)])],
                                          auditMetadata: ["client": .string("curl \"8\"")])
        let child = try root.child(operationName: "step", agentContext: ["extra": .array([.bool(true)])], policy: policy)
        for context in [root, child] {
            let direct = ContextRepresentation.bytes(context)
            #expect(direct == Self.contextOracle(context).serialized())
            #expect(try JSONValue.parse(direct)["id"] == .string(context.requestID))
        }
    }
}
