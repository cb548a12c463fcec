import Testing
@testable import ExecutionCore
import IsolationdTesting

@Suite("Factory shutdown")
struct FactoryShutdownTests {
    @Test("runs that finish within the deadline complete; engines are cleaned; cleaned == created")
    func drainWithinDeadline() async throws {
        let fixture = try EngineFixture(backgroundSweep: true)
        let engine = try fixture.engine()
        _ = try fixture.engine(user: "bob")
        let run = try engine.startRun(agent: "controlled")
        let shutdown = Task { await fixture.factory.shutdown(deadline: .seconds(10)) }
        #expect(await eventually { fixture.factory.isShutDown && !engine.isAcceptingRuns })
        #expect(throws: RunRequestError.engineRetiring) { try engine.startRun(agent: "sync-echo") }
        #expect(throws: EngineCreationError.shuttingDown) { try fixture.engine(user: "carol") }
        fixture.controlled.run(run.id)?.output.finish(.completed(result: .string("finished")))
        fixture.clock.advance(by: .milliseconds(50))
        await shutdown.value
        #expect(engine.run(id: run.id)?.state == .completed)
        let metrics = fixture.factory.metrics
        #expect(metrics.activeEnginesCount == 0)
        #expect(metrics.totalEnginesCreated == 2)
        #expect(metrics.totalEnginesCleaned == metrics.totalEnginesCreated)
        #expect(fixture.factory.slots.totalHeld == 0)
        #expect(fixture.clock.sleeperCount == 0)
    }

    @Test("runs still going at the deadline end with reason shutdown, distinct from a cancel")
    func deadlineEndsRuns() async throws {
        let fixture = try EngineFixture(timeouts: ["controlled": .seconds(100_000)])
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled")
        let shutdown = Task { await fixture.factory.shutdown(deadline: .seconds(10)) }
        #expect(await fixture.clock.waitForSleepers(atLeast: 2))
        fixture.clock.advance(by: .seconds(9))
        try await Task.sleep(for: .milliseconds(10))
        #expect(engine.run(id: run.id)?.state == .running)
        fixture.clock.advance(by: .seconds(1))
        await shutdown.value
        #expect(engine.run(id: run.id)?.state == .cancelled)
        #expect(engine.run(id: run.id)?.reason == "shutdown")
        #expect(fixture.sink.events(executionID: run.id).last?.data["reason"] == .string("shutdown"))
        #expect(fixture.controlled.run(run.id)?.handle.cancelCount == 1)
        #expect(engine.state == .cleaned)
        #expect(fixture.factory.metrics.totalEnginesCleaned == 1)
    }
}
