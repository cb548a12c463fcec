import Testing
@testable import ExecutionCore

/// A factory whose engines charge `ledger`, with the engine tests' controllable agents.
struct BudgetedEngineFixture {
    let clock = ManualClock()
    let sink = RecordingEventPublisher()
    let controlled = ControlledRunner()
    let policy = ContextPolicy()
    let ledger: RetainedBytesLedger
    let factory: ExecutionEngineFactory

    init(limits: BudgetLimits = BudgetLimits(), engine: EngineConfiguration = EngineConfiguration()) throws {
        ledger = RetainedBytesLedger(limits: limits)
        let agents = TestAgents(runners: ["controlled": controlled, "sync-echo": SynchronousEchoRunner()])
        factory = try ExecutionEngineFactory(eventPublisher: sink, agents: agents,
                                             configuration: FactoryConfiguration(maxEnginesPerUser: 5, engine: engine),
                                             contextPolicy: policy, clock: clock, ledger: ledger, runsBackgroundSweep: false)
    }

    func engine(_ user: String = "alice") throws -> UserExecutionEngine {
        try factory.create(for: policy.makeContext(userID: user, threadID: "thread-a", clock: clock))
    }
}

func payload(_ bytes: Int) -> JSONValue { .object(["blob": .string(String(repeating: "x", count: bytes))]) }

@Suite("Budgets: runs, results and history")
struct RunBudgetTests {
    @Test("a live run is charged its input; its ended record its result; cleaning the engine gives everything back")
    func liveThenHistoryThenCleaned() throws {
        let fixture = try BudgetedEngineFixture()
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled", input: payload(10_000))
        let live = fixture.ledger.usage("alice")[.runs]
        #expect(live.items == 1 && live.bytes >= 10_000 + RetainedSize.liveRunOverhead)
        let queued = try (0..<4).map { _ in try engine.startRun(agent: "controlled", input: payload(1000)) }
        #expect(fixture.ledger.usage("alice")[.runs].items == 5, "queued runs are charged too")

        fixture.controlled.run(run.id)?.output.finish(.completed(result: payload(50_000)))
        let afterEnd = fixture.ledger.usage("alice")[.runs]
        #expect(afterEnd.items == 5, "the live run's charge became its record's")
        #expect(afterEnd.bytes >= 50_000 + RetainedSize.endedRunOverhead)
        _ = engine.cancelRun(id: queued[3].id)

        #expect(fixture.factory.cleanup(engineID: engine.id, userID: "alice") == .cleaned)
        #expect(fixture.ledger.usedBytes("alice") == 0 && fixture.ledger.accountCount == 0)
        #expect(engine.run(id: run.id)?.result == payload(50_000), "a holder of the engine still reads its history")
    }

    @Test("records overwritten in a full history are released as they go")
    func historyEviction() throws {
        let fixture = try BudgetedEngineFixture(engine: EngineConfiguration(historySize: 3))
        let engine = try fixture.engine()
        for _ in 0..<10 { _ = try engine.startRun(agent: "sync-echo", input: payload(2000)) }
        let held = fixture.ledger.usage("alice")[.runs]
        #expect(held.items == 3)
        #expect(held.bytes < 3 * (2000 + 64 + RetainedSize.endedRunOverhead))
        #expect(fixture.factory.cleanup(engineID: engine.id, userID: "alice") == .cleaned)
        #expect(fixture.ledger.globalUsedBytes == 0)
    }

    @Test("an input past the budget is refused (budgetExceeded) and takes nothing; other users still run")
    func inputRefused() throws {
        let fixture = try BudgetedEngineFixture(limits: BudgetLimits(perUserBytes: 30_000, globalBytes: 1 << 30))
        let engine = try fixture.engine()
        _ = try engine.startRun(agent: "controlled", input: payload(20_000))
        #expect(throws: RunRequestError.budgetExceeded(.user(budgetBytes: 30_000, usedBytes: fixture.ledger.usedBytes("alice")))) {
            try engine.startRun(agent: "controlled", input: payload(20_000))
        }
        #expect(fixture.ledger.usage("alice")[.runs].items == 1)
        _ = try fixture.engine("bob").startRun(agent: "controlled", input: payload(20_000))
    }

    @Test("a refused admission (busy) gives its charge back")
    func refusedAdmissionReleases() throws {
        let fixture = try BudgetedEngineFixture(engine: EngineConfiguration(maxConcurrentRuns: 1, maxQueuedRuns: 0))
        let engine = try fixture.engine()
        _ = try engine.startRun(agent: "controlled", input: payload(100))
        let before = fixture.ledger.usedBytes("alice")
        #expect(throws: RunRequestError.self) { try engine.startRun(agent: "controlled", input: payload(5000), ifBusy: .reject) }
        #expect(throws: RunRequestError.self) { try engine.startRun(agent: "controlled", input: payload(5000)) }
        #expect(fixture.ledger.usedBytes("alice") == before)
    }

    @Test("a result past the budget is not kept: the run fails (budget_exceeded) and its small record is charged")
    func resultRefused() throws {
        let fixture = try BudgetedEngineFixture(limits: BudgetLimits(perUserBytes: 40_000, globalBytes: 1 << 30))
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled", input: payload(100))
        fixture.controlled.run(run.id)?.output.finish(.completed(result: payload(60_000)))
        let ended = try #require(engine.run(id: run.id))
        #expect(ended.state == .failed && ended.reason == "budget_exceeded" && ended.result == nil)
        #expect(fixture.sink.types(executionID: run.id).last == .agentError)
        #expect(fixture.ledger.usage("alice")[.runs].items == 1)
        #expect(fixture.ledger.usedBytes("alice") < 2000)
        #expect(fixture.factory.cleanup(engineID: engine.id, userID: "alice") == .cleaned)
        #expect(fixture.ledger.accountCount == 0)
    }

    @Test("the sweep's idle cleanup releases an engine's history")
    func sweepReleases() throws {
        let fixture = try BudgetedEngineFixture()
        let engine = try fixture.engine()
        for _ in 0..<3 { _ = try engine.startRun(agent: "sync-echo", input: payload(500)) }
        #expect(fixture.ledger.usedBytes("alice") > 0)
        fixture.clock.advance(by: fixture.factory.configuration.idleTimeout + .seconds(1))
        #expect(fixture.factory.sweep().idleCleaned == 1)
        #expect(fixture.ledger.accountCount == 0)
    }
}
