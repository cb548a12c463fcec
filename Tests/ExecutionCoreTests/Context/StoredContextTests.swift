@testable import ExecutionCore
import Testing

/// The stored form of a context (what a shared store keeps): decoding gives back an equal value,
/// every field included, and a document that is not a stored context is refused.
@Suite("Stored context JSON")
struct StoredContextTests {
    static func family() throws -> (root: UserExecutionContext, child: UserExecutionContext) {
        let clock = ManualClock(start: Timestamp(nanoseconds: 1_700_000_000_123_456_789))
        let policy = ContextPolicy()
        let root = try policy.makeContext(
            userID: "alice", threadID: "thread-1", runID: "run-1", websocketClientID: "ws-7",
            agentContext: ["model": .string("m"), "temperature": .double(0.25), "whole": .double(1.0), "n": .integer(-3),
                           "flags": .array([.bool(true), .null, .object(["deep": .string("é\u{1F600}\n\"")])])],
            auditMetadata: ["ticket": .string("T-1"), "weight": .double(1e-7)], clock: clock)
        clock.advance(by: .nanoseconds(1_001))
        let child = try root.child(operationName: "summarize", agentContext: ["extra": .integer(Int64.max)],
                                   auditMetadata: ["step": .integer(2)], policy: policy, clock: clock)
        return (root, child)
    }

    @Test("a root and a child come back equal: ids, websocket client, nanosecond created_at, objects, depth, parent link")
    func roundTrip() throws {
        let (root, child) = try Self.family()
        for context in [root, child] {
            let decoded = try #require(UserExecutionContext(storedJSON: context.storedJSON))
            #expect(decoded == context)
            #expect(decoded.createdAt == context.createdAt)
            #expect(decoded.auditTrail(now: context.createdAt).jsonValue == context.auditTrail(now: context.createdAt).jsonValue)
        }
        let decodedChild = try #require(UserExecutionContext(storedJSON: child.storedJSON))
        #expect(decodedChild.parentRequestID == root.requestID)
        #expect(decodedChild.operationDepth == 1)
        #expect(UserExecutionContext(storedJSON: root.storedJSON)?.parentRequestID == nil)
        #expect(UserExecutionContext(storedJSON: root.storedJSON)?.websocketClientID == "ws-7")
    }

    @Test("not a stored context: not JSON, a field missing, a field of the wrong type")
    func refusals() throws {
        let (root, _) = try Self.family()
        #expect(UserExecutionContext(storedJSON: Array("not json".utf8)) == nil)
        guard case .object(let object) = try JSONValue.parse(root.storedJSON) else { Issue.record("not an object"); return }
        for field in ["user_id", "created_at_ns", "agent_context", "operation_depth"] {
            var missing = object
            missing[field] = nil
            #expect(UserExecutionContext(storedJSON: JSONValue.object(missing).serialized()) == nil, "\(field)")
        }
        var wrong = object
        wrong["parent_request_id"] = .integer(3)
        #expect(UserExecutionContext(storedJSON: JSONValue.object(wrong).serialized()) == nil)
    }
}
