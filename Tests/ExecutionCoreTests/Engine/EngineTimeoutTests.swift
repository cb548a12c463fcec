import Testing
@testable import ExecutionCore
import IsolationdTesting

@Suite("Engine timeouts (manual clock)")
struct EngineTimeoutTests {
    @Test("a run past its timeout ends run_timed_out and its agent is stopped with the cancel grace")
    func runTimeout() async throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled")
        let agent = try #require(fixture.controlled.run(run.id))
        #expect(await fixture.clock.waitForSleepers(atLeast: 1))
        fixture.clock.advance(by: .milliseconds(29_999))
        try await Task.sleep(for: .milliseconds(10))
        #expect(engine.run(id: run.id)?.state == .running)
        fixture.clock.advance(by: .milliseconds(1))
        #expect(await eventually { engine.run(id: run.id)?.state == .timedOut })
        #expect(fixture.sink.types(executionID: run.id) == [.agentStarted, .runTimedOut])
        #expect(fixture.sink.events(executionID: run.id).last?.data["timeout_ms"] == .integer(30_000))
        #expect(agent.handle.gracePeriods == [.seconds(2)])
        #expect(engine.run(id: run.id)?.duration == .seconds(30))
        agent.output.finish(.completed(result: .null))
        #expect(fixture.sink.types(executionID: run.id).count == 2)
        #expect(engine.stats.timedOutRuns == 1)
        #expect(engine.state == .active)
    }

    @Test("an agent's own timeout from config overrides the engine default")
    func perAgentTimeout() async throws {
        let fixture = try EngineFixture(timeouts: ["controlled": .seconds(5)])
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled")
        fixture.clock.advance(by: .seconds(5))
        #expect(await eventually { engine.run(id: run.id)?.state == .timedOut })
        #expect(fixture.sink.events(executionID: run.id).last?.data["timeout_ms"] == .integer(5000))
    }

    @Test("a run that finishes in time disarms its timer")
    func finishedRunDisarms() async throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled")
        #expect(await fixture.clock.waitForSleepers(atLeast: 1))
        fixture.controlled.run(run.id)?.output.finish(.completed(result: .null))
        #expect(await eventually { fixture.clock.sleeperCount == 0 })
        fixture.clock.advance(by: .seconds(60))
        try await Task.sleep(for: .milliseconds(10))
        #expect(fixture.sink.types(executionID: run.id) == [.agentStarted, .agentCompleted])
    }

    @Test("a queued run's timeout starts when it starts, not when it was queued")
    func queuedTimeoutStartsAtStart() async throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(engine: EngineConfiguration(maxConcurrentRuns: 1)))
        let engine = try fixture.engine()
        let first = try engine.startRun(agent: "controlled")
        let second = try engine.startRun(agent: "controlled")
        fixture.clock.advance(by: .seconds(20))
        fixture.controlled.run(first.id)?.output.finish(.completed(result: .null))
        fixture.clock.advance(by: .seconds(20))
        try await Task.sleep(for: .milliseconds(10))
        #expect(engine.run(id: second.id)?.state == .running)
        fixture.clock.advance(by: .seconds(10))
        #expect(await eventually { engine.run(id: second.id)?.state == .timedOut })
        #expect(engine.run(id: second.id)?.queueWait == .seconds(20))
    }

    @Test("a cancel the agent never confirms still converges after grace + settle time")
    func cancelSettles() async throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled")
        guard case .cancelling(let record) = engine.cancelRun(id: run.id) else {
            Issue.record("expected cancelling")
            return
        }
        #expect(record.state == .cancelling)
        #expect(record.reason == "cancelled")
        #expect(engine.state == .running)
        #expect(await fixture.clock.waitForSleepers(atLeast: 2))
        fixture.clock.advance(by: .seconds(6))
        try await Task.sleep(for: .milliseconds(10))
        #expect(engine.run(id: run.id)?.state == .cancelling)
        fixture.clock.advance(by: .seconds(1))
        #expect(await eventually { engine.run(id: run.id)?.state == .cancelled })
        #expect(fixture.sink.types(executionID: run.id) == [.agentStarted, .runCancelled])
        #expect(engine.state == .active)
    }

    @Test("a run's timeout during cancelling ends it cancelled, once")
    func timeoutWhileCancelling() async throws {
        let fixture = try EngineFixture(timeouts: ["controlled": .seconds(3)])
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled")
        _ = engine.cancelRun(id: run.id)
        fixture.clock.advance(by: .seconds(3))
        #expect(await eventually { engine.run(id: run.id)?.state == .cancelled })
        fixture.clock.advance(by: .seconds(10))
        try await Task.sleep(for: .milliseconds(10))
        #expect(fixture.sink.types(executionID: run.id) == [.agentStarted, .runCancelled])
    }
}
