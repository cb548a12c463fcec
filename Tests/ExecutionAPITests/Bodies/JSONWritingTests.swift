@testable import ExecutionAPI
import ExecutionCore
import Testing

@Suite("Answer serialization")
struct JSONWritingTests {
    static let documents = [
        #"{"b": 1, "a": [true, null, {"z": "x\"y", "y": -2.5}], "c": {}, "d": [], "é": "\u0001"}"#,
        #"[{"k": {"k": {"k": [1, 2, {"b": 0, "a": 1}]}}}]"#,
        #""plain""#, "42", "null",
    ]

    @Test("the pair-sorting writer gives the core serializer's bytes", arguments: documents)
    func sameBytes(_ document: String) throws {
        let value = try JSONValue.parse(document)
        #expect(JSONWriting.serialized(value) == value.serialized())
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
            #expect(direct == ContextRoutes.representation(context).serialized())
            #expect(try JSONValue.parse(direct)["id"] == .string(context.requestID))
        }
    }
}
