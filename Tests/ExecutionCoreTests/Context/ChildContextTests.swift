import Testing
@testable import ExecutionCore

@Suite("Child contexts")
struct ChildContextTests {
    let policy = ContextPolicy()
    let clock = ManualClock()

    func root() throws -> UserExecutionContext {
        try policy.makeContext(userID: "alice", threadID: "thread-1", runID: "run-1", websocketClientID: "ws-1",
                               agentContext: ["prefs": .object(["lang": .string("fr")])],
                               auditMetadata: ["source": .string("api")], clock: clock)
    }

    @Test("a child keeps user, thread, run and websocket; new request id; depth + 1; parent link")
    func inheritance() throws {
        let parent = try root()
        clock.advance(by: .seconds(5))
        let child = try parent.child(operationName: "search", policy: policy, clock: clock)
        #expect(child.userID == parent.userID)
        #expect(child.threadID == parent.threadID)
        #expect(child.runID == parent.runID)
        #expect(child.websocketClientID == parent.websocketClientID)
        #expect(child.requestID != parent.requestID)
        #expect(child.operationDepth == 1)
        #expect(child.parentRequestID == parent.requestID)
        #expect(child.isChild && !parent.isChild)
        #expect(child.createdAt == parent.createdAt + .seconds(5))
        #expect(try policy.validate(child) == child)
    }

    @Test("agent context and audit metadata are inherited with the SPEC's extra keys, additions on top")
    func mergedObjects() throws {
        let parent = try root()
        let child = try parent.child(operationName: "search",
                                     agentContext: ["extra": .bool(true), "prefs": .object(["lang": .string("de")])],
                                     auditMetadata: ["step": .integer(2)], policy: policy, clock: clock)
        #expect(child.agentContext["parent_operation"] == .string("root"))
        #expect(child.agentContext["operation_name"] == .string("search"))
        #expect(child.agentContext["operation_depth"] == .integer(1))
        #expect(child.agentContext["extra"] == .bool(true))
        #expect(child.agentContext["prefs"]?["lang"] == .string("de"))
        #expect(parent.agentContext["prefs"]?["lang"] == .string("fr"))
        #expect(child.auditMetadata["source"] == .string("api"))
        #expect(child.auditMetadata["parent_request_id"] == .string(parent.requestID))
        #expect(child.auditMetadata["operation_name"] == .string("search"))
        #expect(child.auditMetadata["child_created_at"] == .string(clock.now().iso8601))
        #expect(child.auditMetadata["operation_depth"] == .integer(1))
        #expect(child.auditMetadata["context_version"] == .string("1"))
        #expect(child.auditMetadata["step"] == .integer(2))
        let grandchild = try child.child(operationName: "fetch", policy: policy, clock: clock)
        #expect(grandchild.agentContext["parent_operation"] == .string("search"))
        #expect(grandchild.auditMetadata["parent_request_id"] == .string(child.requestID))
        #expect(grandchild.operationDepth == 2)
    }

    @Test("depth is capped at the policy's maximum")
    func depthCap() throws {
        var context = try root()
        for depth in 1...10 {
            context = try context.child(operationName: "level-\(depth)", policy: policy, clock: clock)
        }
        #expect(context.operationDepth == 10)
        let error = #expect(throws: ContextValidationError.self) {
            try context.child(operationName: "too-deep", policy: policy, clock: clock)
        }
        #expect(error?.field == "operation_depth")
        #expect(error?.reason == .depthExceeded)
        let shallow = ContextPolicy(maxDepth: 1)
        let first = try root().child(operationName: "one", policy: shallow, clock: clock)
        #expect(throws: ContextValidationError.self) { try first.child(operationName: "two", policy: shallow, clock: clock) }
    }

    @Test("empty operation names and reserved additions are refused")
    func refusals() throws {
        let parent = try root()
        for name in ["", "   ", "\n"] {
            let error = #expect(throws: ContextValidationError.self) {
                try parent.child(operationName: name, policy: policy, clock: clock)
            }
            #expect(error?.field == "operation_name")
            #expect(error?.reason == .empty)
        }
        let reserved = #expect(throws: ContextValidationError.self) {
            try parent.child(operationName: "op", agentContext: ["user_id": .string("mallory")], policy: policy, clock: clock)
        }
        #expect(reserved?.reason == .reservedKey)
        let audit = #expect(throws: ContextValidationError.self) {
            try parent.child(operationName: "op", auditMetadata: ["parent_request_id": .string("forged")], policy: policy, clock: clock)
        }
        #expect(audit?.field == "audit_metadata")
        let huge = #expect(throws: ContextValidationError.self) {
            try parent.child(operationName: "op", agentContext: ["blob": .string(String(repeating: "x", count: 70_000))],
                             policy: policy, clock: clock)
        }
        #expect(huge?.reason == .tooLarge)
    }

    @Test("parent and child never see each other's later changes")
    func independence() throws {
        let parent = try root()
        let child = try parent.child(operationName: "op", policy: policy, clock: clock)
        var parentCopy = parent.agentContext
        parentCopy["prefs"] = .object(["lang": .string("es")])
        var childCopy = child.agentContext
        childCopy["prefs"] = .null
        #expect(parent.agentContext["prefs"]?["lang"] == .string("fr"))
        #expect(child.agentContext["prefs"]?["lang"] == .string("fr"))
    }
}
