import Testing
@testable import ExecutionCore

@Suite("Factory creation and limits")
struct FactoryCreationTests {
    @Test("no event publisher: the factory refuses to exist")
    func missingSink() {
        #expect(throws: FactoryConfigurationError.missingEventPublisher) {
            try ExecutionEngineFactory(eventPublisher: nil, agents: TestAgents(runners: [:]), runsBackgroundSweep: false)
        }
        #expect(FactoryConfigurationError.missingEventPublisher.description.contains("event publisher"))
    }

    @Test("an engine is bound to its context, has a UUID id, and is counted")
    func createsEngine() throws {
        let fixture = try EngineFixture()
        let context = try fixture.context()
        let engine = try fixture.factory.create(for: context)
        #expect(engine.context == context)
        #expect(engine.id.utf8.count == 36)
        #expect(engine.createdAt == fixture.clock.now())
        #expect(engine.expiresAt == fixture.clock.now() + .seconds(3600))
        let metrics = fixture.factory.metrics
        #expect(metrics.totalEnginesCreated == 1)
        #expect(metrics.activeEnginesCount == 1)
        #expect(metrics.perUserActive == ["alice": 1])
        #expect(fixture.factory.engine(id: engine.id, userID: "alice") === engine)
        #expect(fixture.factory.engine(id: engine.id, userID: "bob") == nil)
        #expect(fixture.factory.slots.held(userID: "alice") == 1)
    }

    @Test("an invalid context is refused before any slot is taken and counted in creation_errors")
    func invalidContext() throws {
        let fixture = try EngineFixture()
        let forged = UserExecutionContext(userID: "null", threadID: "thread-1", runID: "run-1", requestID: "req-1",
                                          websocketClientID: nil, createdAt: fixture.clock.now(), agentContext: [:],
                                          auditMetadata: ["operation_depth": .integer(0)], operationDepth: 0, parentRequestID: nil)
        let error = #expect(throws: EngineCreationError.self) { try fixture.factory.create(for: forged) }
        guard case .invalidContext(let reason) = error else { Issue.record("expected invalidContext"); return }
        #expect(reason.field == "user_id")
        #expect(fixture.factory.metrics.creationErrors == 1)
        #expect(fixture.factory.slots.totalHeld == 0)
        #expect(fixture.builder.buildCount == 0)
    }

    @Test("the third engine for one user is refused with a retry hint; only user_limit_rejections counts it")
    func userLimit() throws {
        let fixture = try EngineFixture()
        let first = try fixture.engine()
        fixture.clock.advance(by: .seconds(100))
        _ = try fixture.engine()
        let error = #expect(throws: EngineCreationError.self) { try fixture.engine() }
        // The first engine, idle since creation, is swept at idle timeout + one interval: 300 + 60 - 100.
        #expect(error == .userLimitExceeded(limit: 2, retryAfter: .seconds(260)))
        let metrics = fixture.factory.metrics
        #expect(metrics.userLimitRejections == 1)
        #expect(metrics.creationErrors == 0)
        #expect(metrics.totalEnginesCreated == 2)
        #expect(fixture.builder.buildCount == 2)
        _ = try fixture.engine(user: "bob")
        #expect(fixture.factory.cleanup(engineID: first.id, userID: "alice") == .cleaned)
        _ = try fixture.engine()
    }

    @Test("per-user overrides and the global limit")
    func overridesAndGlobalLimit() throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(maxEnginesTotal: 5, perUserEngineLimits: ["vip": 3, "banned": 0]))
        for _ in 0..<3 { _ = try fixture.engine(user: "vip") }
        #expect(throws: EngineCreationError.userLimitExceeded(limit: 3, retryAfter: .seconds(360))) { try fixture.engine(user: "vip") }
        #expect(throws: EngineCreationError.self) { try fixture.engine(user: "banned") }
        _ = try fixture.engine(user: "alice")
        _ = try fixture.engine(user: "bob")
        #expect(throws: EngineCreationError.globalLimitExceeded(limit: 5)) { try fixture.engine(user: "carol") }
        let metrics = fixture.factory.metrics
        #expect(metrics.globalLimitRejections == 1)
        #expect(metrics.userLimitRejections == 2)
        #expect(metrics.activeEnginesCount == 5)
    }

    @Test("a failed build releases the slot and counts in creation_errors")
    func buildFailure() throws {
        let fixture = try EngineFixture()
        fixture.builder.setFailing(true)
        for _ in 0..<3 {
            let error = #expect(throws: EngineCreationError.self) { try fixture.engine() }
            guard case .buildFailed = error else { Issue.record("expected buildFailed"); return }
        }
        #expect(fixture.factory.slots.held(userID: "alice") == 0)
        #expect(fixture.factory.metrics.creationErrors == 3)
        #expect(fixture.factory.metrics.activeEnginesCount == 0)
        fixture.builder.setFailing(false)
        _ = try fixture.engine()
        _ = try fixture.engine()
        #expect(fixture.factory.metrics.totalEnginesCreated == 2)
    }

    @Test("engines for the same context are distinct, never reused")
    func distinctEngines() throws {
        let fixture = try EngineFixture()
        let context = try fixture.context()
        let one = try fixture.factory.create(for: context)
        let two = try fixture.factory.create(for: context)
        #expect(one !== two)
        #expect(one.id != two.id)
        #expect(one.emitter.identity != two.emitter.identity)
    }

    @Test("metrics as JSON carry the SPEC names")
    func metricsJSON() throws {
        let fixture = try EngineFixture()
        _ = try fixture.engine()
        let json = try #require(fixture.factory.metrics.jsonValue.objectValue)
        for key in ["total_engines_created", "total_engines_cleaned", "active_engines_count", "creation_errors",
                    "cleanup_errors", "timeout_cleanups", "user_limit_rejections", "per_user_active", "breaker_state"] {
            #expect(json[key] != nil, "\(key)")
        }
        #expect(json["active_engines_count"] == .integer(1))
        #expect(json["breaker_state"] == .string("closed"))
    }
}

@Suite("Configuration bounds")
struct ConfigurationBoundsTests {
    @Test("absurd durations and counts are clamped so deadlines never overflow")
    func clamped() throws {
        let huge = Duration.seconds(Int64.max)
        let configuration = FactoryConfiguration(maxEnginesPerUser: -3, idleTimeout: huge, maxLifetime: huge,
                                                 runGrace: .seconds(-5), breakerFailureThreshold: 0,
                                                 engine: EngineConfiguration(maxConcurrentRuns: 0, runTimeout: huge))
        #expect(configuration.maxEnginesPerUser == 0)
        #expect(configuration.runGrace == .zero)
        #expect(configuration.breakerFailureThreshold == 1)
        #expect(configuration.engine.maxConcurrentRuns == 1)
        let fixture = try EngineFixture(configuration: FactoryConfiguration(maxLifetime: huge, engine: EngineConfiguration(runTimeout: huge)))
        let engine = try fixture.engine()
        #expect(engine.expiresAt > fixture.clock.now())
        #expect(try engine.startRun(agent: "controlled").state == .running)
        #expect(fixture.factory.sweep() == .init())
    }
}
