import Testing
@testable import ExecutionCore
import IsolationdTesting

/// The 15 behaviours of SPEC.md §5 (the original integration suite), each made real.
@Suite("SPEC §5 behaviours")
struct SpecBehaviourTests {
    @Test("1. Five contexts are distinct and independent")
    func fiveContexts() throws {
        let world = try BehaviourWorld()
        let contexts = try (0..<5).map { index in
            try world.policy.makeContext(userID: "user-\(index)", threadID: "thread-\(index)",
                                         agentContext: ["prefs": .object(["index": .integer(Int64(index))])],
                                         auditMetadata: ["origin": .string("client-\(index)")], clock: world.clock)
        }
        #expect(Set(contexts.map(\.requestID)).count == 5)
        #expect(Set(contexts.map(\.runID)).count == 5)
        #expect(Set(contexts.map(\.userID)).count == 5)
        #expect(Set(contexts.map(\.agentContext)).count == 5)
        #expect(Set(contexts.map { $0.auditMetadata["origin"] }).count == 5)
        let before = contexts
        var changed = contexts[0].agentContext
        changed["prefs"] = .object(["index": .integer(99)])
        var audit = contexts[1].auditMetadata
        audit["origin"] = .string("tampered")
        #expect(contexts == before)
        for (index, context) in contexts.enumerated() {
            #expect(context.agentContext["prefs"]?["index"] == .integer(Int64(index)))
            #expect(context.auditMetadata["origin"] == .string("client-\(index)"))
        }
    }

    @Test("2. Factory without its event publisher fails fast; with it: limit 2, empty registry, zeroed metrics")
    func factoryInitialisation() throws {
        #expect(throws: FactoryConfigurationError.missingEventPublisher) {
            try ExecutionEngineFactory(eventPublisher: nil, agents: try BehaviourWorld.agents(), runsBackgroundSweep: false)
        }
        let world = try BehaviourWorld()
        #expect(world.factory.configuration.maxEnginesPerUser == 2)
        #expect(world.factory.configuration.engineLimit(forUser: "anyone") == 2)
        #expect(world.factory.engines(userID: "alice").isEmpty)
        var zero = FactoryMetrics()
        zero.breakerState = .closed
        #expect(world.factory.metrics == zero)
    }

    @Test("3. Engines for several users created concurrently are each bound to their user and active")
    func concurrentCreation() async throws {
        let world = try BehaviourWorld()
        let users = (0..<12).map { "user-\($0)" }
        let engines = try await withThrowingTaskGroup(of: UserExecutionEngine.self) { group in
            for user in users { group.addTask { try world.engine(user: user) } }
            return try await group.reduce(into: [UserExecutionEngine]()) { $0.append($1) }
        }
        #expect(engines.count == 12)
        #expect(Set(engines.map(\.context.userID)) == Set(users))
        #expect(Set(engines.map(\.id)).count == 12)
        for engine in engines {
            #expect(engine.state == .active)
            #expect(world.factory.engine(id: engine.id, userID: engine.context.userID) === engine)
            #expect(engine.emitter.identity.userID == engine.context.userID)
        }
        #expect(world.factory.metrics.activeEnginesCount == 12)
    }

    @Test("4. Per-user limit: the third engine for one user is refused")
    func perUserLimit() throws {
        let world = try BehaviourWorld()
        _ = try world.engine(user: "alice")
        _ = try world.engine(user: "alice")
        let error = #expect(throws: EngineCreationError.self) { try world.engine(user: "alice") }
        guard case .userLimitExceeded(let limit, let retryAfter) = error else { Issue.record("expected userLimitExceeded"); return }
        #expect(limit == 2)
        #expect(retryAfter > .zero)
        #expect(world.factory.metrics.userLimitRejections == 1)
        #expect(world.factory.metrics.creationErrors == 0)
        #expect(world.factory.activeEngineCount(userID: "alice") == 2)
    }

    @Test("5. Child contexts inherit ids and metadata, go one deeper, link their parent, keep the audit trail")
    func childContexts() throws {
        let world = try BehaviourWorld()
        let parent = try world.policy.makeContext(userID: "alice", threadID: "thread-1", websocketClientID: "ws-1",
                                                  agentContext: ["goal": .string("summarise")],
                                                  auditMetadata: ["ticket": .string("T-9")], clock: world.clock)
        world.clock.advance(by: .seconds(3))
        let child = try parent.child(operationName: "research", policy: world.policy, clock: world.clock)
        #expect((child.userID, child.threadID, child.runID, child.websocketClientID) ==
                (parent.userID, parent.threadID, parent.runID, parent.websocketClientID))
        #expect(child.requestID != parent.requestID)
        #expect(child.operationDepth == parent.operationDepth + 1)
        #expect(child.parentRequestID == parent.requestID)
        #expect(child.agentContext["goal"] == .string("summarise"))
        let parentTrail = parent.auditTrail(now: world.clock.now())
        let childTrail = child.auditTrail(now: world.clock.now())
        #expect(childTrail.parentRequestID == parentTrail.requestID)
        #expect(childTrail.correlationID.split(separator: ":").prefix(3) == parentTrail.correlationID.split(separator: ":").prefix(3))
        #expect(childTrail.auditMetadata["ticket"] == .string("T-9"))
        #expect(childTrail.auditMetadata["parent_request_id"] == .string(parent.requestID))
        #expect(parentTrail.age == .seconds(3))
        #expect(childTrail.age == .zero)
        // A later "change" of the parent is a new value; the child never sees it.
        var laterParentContext = parent.agentContext
        laterParentContext["goal"] = .string("changed")
        #expect(child.agentContext["goal"] == .string("summarise"))
        #expect(parent.agentContext["goal"] == .string("summarise"))
    }

    @Test("6. Each engine's emitter is bound to its own user, thread and run; emitters are distinct")
    func emitterBinding() async throws {
        let world = try BehaviourWorld()
        let engines = try [("alice", "thread-a"), ("bob", "thread-b"), ("carol", "thread-c")].map { user, thread in
            try world.engine(user: user, thread: thread)
        }
        for engine in engines {
            let identity = engine.emitter.identity
            #expect(identity.userID == engine.context.userID)
            #expect(identity.threadID == engine.context.threadID)
            #expect(identity.runID == engine.context.runID)
            #expect(identity.requestID == engine.context.requestID)
            #expect(identity.engineID == engine.id)
            let run = try engine.startRun(agent: "tools", input: .object(["query": .string("notes of \(identity.userID)")]))
            #expect(await eventually { engine.run(id: run.id)?.state == .completed })
            let events = world.events(userID: identity.userID, executionID: run.id)
            #expect(events.map(\.type).first == .agentStarted)
            #expect(events.map(\.type).last == .agentCompleted)
            #expect(events.contains { $0.type == .toolCompleted })
            for event in events { #expect(event.identity == identity) }
        }
        #expect(Set(engines.map(\.emitter.identity)).count == 3)
    }

    @Test("7. Engine state isolation: one user's run data never appears in another's engine or summary")
    func stateIsolation() async throws {
        let world = try BehaviourWorld()
        let alice = try world.engine(user: "alice")
        let bob = try world.engine(user: "bob")
        let secret = JSONValue.object(["plan": .string("alice-only")])
        let run = try alice.startRun(agent: "echo", input: secret)
        #expect(await eventually { alice.run(id: run.id)?.state == .completed })
        #expect(bob.runs.isEmpty)
        #expect(bob.run(id: run.id) == nil)
        #expect(bob.stats.totalRuns == 0)
        #expect(world.factory.run(id: run.id, userID: "bob") == nil)
        #expect(world.factory.run(id: run.id, userID: "alice")?.result == .object(["echo": secret]))
        #expect(world.factory.cancelRun(id: run.id, userID: "bob") == .notFound)
        #expect(world.factory.summaries(userID: "bob").map(\.stats.totalRuns) == [0])
        #expect(world.factory.summaries(userID: "bob").allSatisfy { $0.userID == "bob" })
        #expect(world.factory.engine(id: alice.id, userID: "bob") == nil)
        #expect(world.events(userID: "bob").isEmpty)
        let aliceEvents = world.events(userID: "alice")
        #expect(aliceEvents.map(\.type) == [.agentStarted, .agentThinking, .agentCompleted])
        #expect(aliceEvents.allSatisfy { $0.identity.engineID == alice.id && $0.executionID == run.id })
        #expect(aliceEvents.last?.data["result"] == .object(["echo": secret]))
    }

    @Test("8. Error recovery: an invalid context is refused and counted, then a valid one succeeds")
    func errorRecovery() throws {
        let world = try BehaviourWorld()
        let invalid = UserExecutionContext(userID: "alice", threadID: "placeholder", runID: "run-1", requestID: "req-1",
                                           websocketClientID: nil, createdAt: world.clock.now(), agentContext: [:],
                                           auditMetadata: ["operation_depth": .integer(0)], operationDepth: 0, parentRequestID: nil)
        let error = #expect(throws: EngineCreationError.self) { try world.factory.create(for: invalid) }
        guard case .invalidContext(let reason) = error else { Issue.record("expected invalidContext"); return }
        #expect(reason.field == "thread_id")
        #expect(world.factory.metrics.creationErrors == 1)
        let engine = try world.engine(user: "alice")
        #expect(engine.state == .active)
        #expect(world.factory.metrics.totalEnginesCreated == 1)
        #expect(world.factory.metrics.creationErrors == 1)
    }

    @Test("9. Cleanup: engines of three users cleaned, counts back to 0")
    func cleanupThreeUsers() throws {
        let world = try BehaviourWorld()
        let engines = try ["alice", "bob", "carol"].map { try world.engine(user: $0) }
        #expect(world.factory.metrics.activeEnginesCount == 3)
        for engine in engines {
            #expect(world.factory.cleanup(engineID: engine.id, userID: engine.context.userID) == .cleaned)
            #expect(engine.state == .cleaned)
        }
        let metrics = world.factory.metrics
        #expect(metrics.activeEnginesCount == 0)
        #expect(metrics.perUserActive.isEmpty)
        #expect(metrics.totalEnginesCleaned == 3)
        #expect(world.factory.slots.totalHeld == 0)
    }

    @Test("10. Sharing prevention: distinct contexts, validation returns the same value, a non-context is refused")
    func sharingPrevention() throws {
        let world = try BehaviourWorld()
        let first = try world.context(user: "alice")
        let second = try world.context(user: "alice")
        #expect(first != second)
        #expect(first.requestID != second.requestID)
        #expect(try world.policy.validate(first) == first)
        // Something that is not a context made by the policy: an id that names no context, and a
        // value built around the rules.
        try world.registry.register(first)
        #expect(world.registry.context(requestID: "not-a-context", userID: "alice") == nil)
        #expect(world.registry.context(requestID: first.requestID, userID: "bob") == nil)
        let forged = UserExecutionContext(userID: "bob", threadID: first.threadID, runID: first.runID,
                                          requestID: first.requestID, websocketClientID: nil, createdAt: first.createdAt,
                                          agentContext: ["user_id": .string("alice")], auditMetadata: first.auditMetadata,
                                          operationDepth: 0, parentRequestID: nil)
        #expect(throws: ContextValidationError.self) { try world.policy.validate(forged) }
        #expect(throws: EngineCreationError.self) { try world.factory.create(for: forged) }
        // Two engines for one user never share state.
        let one = try world.factory.create(for: first)
        let two = try world.factory.create(for: second)
        _ = try one.startRun(agent: "echo")
        #expect(two.runs.isEmpty)
    }

    @Test("11. One user on two threads gets two engines, each with its own thread")
    func twoThreads() throws {
        let world = try BehaviourWorld()
        let first = try world.engine(user: "alice", thread: "thread-1")
        let second = try world.engine(user: "alice", thread: "thread-2")
        #expect(first.context.threadID == "thread-1")
        #expect(second.context.threadID == "thread-2")
        #expect(first.emitter.identity.threadID == "thread-1")
        #expect(second.emitter.identity.threadID == "thread-2")
        #expect(first.id != second.id)
        #expect(Set(world.factory.engines(userID: "alice").map(\.context.threadID)) == ["thread-1", "thread-2"])
    }

    @Test("12. Configuration inheritance: nested preferences reach the child; the child's copy is its own")
    func configurationInheritance() throws {
        let world = try BehaviourWorld()
        let preferences: JSONValue = .object(["model": .object(["name": .string("m-large"), "temperature": .double(0.2)]),
                                              "tools": .array([.string("search"), .string("calc")])])
        let parent = try world.policy.makeContext(userID: "alice", threadID: "thread-1",
                                                  agentContext: ["preferences": preferences], clock: world.clock)
        let child = try parent.child(operationName: "sub-task", policy: world.policy, clock: world.clock)
        #expect(child.agentContext["preferences"] == preferences)
        #expect(child.agentContext["preferences"]?["model"]?["temperature"] == .double(0.2))
        var childCopy = child.agentContext
        childCopy["preferences"] = .object(["model": .object(["name": .string("m-small")])])
        let grandchild = try child.child(operationName: "deeper", agentContext: ["preferences": .object(["model": .null])],
                                         policy: world.policy, clock: world.clock)
        #expect(grandchild.agentContext["preferences"] == .object(["model": .null]))
        #expect(child.agentContext["preferences"] == preferences)
        #expect(parent.agentContext["preferences"] == preferences)
    }

    @Test("13. Validation: empty ids and placeholder values are refused with typed errors")
    func validation() {
        let world = try? BehaviourWorld()
        guard let world else { Issue.record("world"); return }
        let attempts: [(String, String, String, ContextValidationError.Reason)] = [
            ("", "thread-1", "user_id", .empty),
            ("alice", "", "thread_id", .empty),
            ("  ", "thread-1", "user_id", .empty),
            ("placeholder", "thread-1", "user_id", .placeholder),
            ("alice", "NULL", "thread_id", .placeholder),
            ("temp-42", "thread-1", "user_id", .placeholder),
            ("alice", "test_1", "thread_id", .placeholder),
        ]
        for (user, thread, field, reason) in attempts {
            let error = #expect(throws: ContextValidationError.self) {
                try world.policy.makeContext(userID: user, threadID: thread, clock: world.clock)
            }
            #expect(error?.field == field)
            #expect(error?.reason == reason)
        }
        #expect(throws: ContextValidationError.self) {
            try world.policy.makeContext(userID: "alice", threadID: "thread-1", runID: "", clock: world.clock)
        }
    }

    @Test("14. Quota recovery: refused and counted at the limit; after one cleanup a new engine succeeds")
    func quotaRecovery() throws {
        let world = try BehaviourWorld()
        let first = try world.engine(user: "alice")
        _ = try world.engine(user: "alice")
        for attempt in 1...5 {
            #expect(throws: EngineCreationError.self) { try world.engine(user: "alice") }
            #expect(world.factory.metrics.userLimitRejections == attempt)
        }
        #expect(world.factory.cleanup(engineID: first.id, userID: "alice") == .cleaned)
        let replacement = try world.engine(user: "alice")
        #expect(replacement.state == .active)
        #expect(world.factory.activeEngineCount(userID: "alice") == 2)
        #expect(world.factory.metrics.userLimitRejections == 5)
    }

    @Test("15. Load: 3 batches of 10 users create, run and clean up; 30 users seen, 0 active, memory back to baseline")
    func load() async throws {
        let world = try BehaviourWorld()
        let weakEngines = Collected<WeakEngine>()
        let seenUsers = Collected<String>()
        for batch in 0..<3 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<10 {
                    let user = "load-user-\(batch)-\(index)"
                    group.addTask {
                        let context = try world.context(user: user)
                        try world.registry.register(context)
                        let engine = try world.factory.create(for: context)
                        weakEngines.append(WeakEngine(engine))
                        seenUsers.append(user)
                        let run = try engine.startRun(agent: "echo", input: .object(["batch": .integer(Int64(batch))]))
                        _ = await eventually { engine.run(id: run.id)?.state.isTerminal == true }
                        #expect(engine.run(id: run.id)?.state == .completed)
                        #expect(world.events(userID: user).map(\.type) == [.agentStarted, .agentThinking, .agentCompleted])
                        #expect(world.factory.cleanup(engineID: engine.id, userID: user) == .cleaned)
                        #expect(world.registry.remove(requestID: context.requestID, userID: user))
                    }
                }
                try await group.waitForAll()
            }
            #expect(world.factory.metrics.activeEnginesCount == 0)
        }
        #expect(Set(seenUsers.all).count == 30)
        let metrics = world.factory.metrics
        #expect(metrics.activeEnginesCount == 0)
        #expect(metrics.totalEnginesCreated == 30)
        #expect(metrics.totalEnginesCleaned == 30)
        #expect(metrics.perUserActive.isEmpty)
        #expect(world.factory.slots.totalHeld == 0)
        #expect(world.registry.totalCount == 0)
        // Memory back to baseline: nothing keeps a cleaned engine alive.
        #expect(weakEngines.all.count == 30)
        #expect(await eventually { weakEngines.all.allSatisfy { $0.engine == nil } })
    }
}

/// Holds an engine without keeping it alive.
final class WeakEngine: Sendable {
    weak let engine: UserExecutionEngine?
    init(_ engine: UserExecutionEngine) { self.engine = engine }
}
