import Testing
@testable import ExecutionCore
import IsolationdTesting

@Suite("Factory cleanup and sweeps (manual clock)")
struct FactorySweepTests {
    @Test("one idempotent cleanup path: cleaned, then already cleaned; unknown and other users' ids are unknown")
    func cleanupOutcomes() throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        #expect(fixture.factory.cleanup(engineID: engine.id, userID: "bob") == .unknown)
        #expect(fixture.factory.cleanup(engineID: engine.id, userID: "alice") == .cleaned)
        #expect(fixture.factory.cleanup(engineID: engine.id, userID: "alice") == .alreadyCleaned)
        #expect(fixture.factory.cleanup(engineID: engine.id, userID: "bob") == .unknown)
        #expect(fixture.factory.cleanup(engineID: "no-such-engine", userID: "alice") == .unknown)
        let metrics = fixture.factory.metrics
        #expect(metrics.totalEnginesCleaned == 1)
        #expect(metrics.cleanupErrors == 0)
        #expect(metrics.timeoutCleanups == 0)
        #expect(metrics.activeEnginesCount == 0)
        #expect(fixture.factory.slots.totalHeld == 0)
    }

    @Test("cleaning a context's engines cancels their runs")
    func cleanupByContext() throws {
        let fixture = try EngineFixture()
        let context = try fixture.context()
        let one = try fixture.factory.create(for: context)
        let other = try fixture.engine()
        let run = try one.startRun(agent: "controlled")
        #expect(fixture.factory.cleanupEngines(forContextRequestID: context.requestID, userID: "bob") == 0)
        #expect(fixture.factory.cleanupEngines(forContextRequestID: context.requestID, userID: "alice") == 1)
        #expect(one.run(id: run.id)?.state == .cancelled)
        #expect(other.state == .active)
    }

    @Test("an engine idle for the idle timeout is swept; not a moment before")
    func idleSweep() throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        fixture.clock.advance(by: .seconds(299))
        #expect(fixture.factory.sweep() == .init(idleCleaned: 0, expiredCleaned: 0))
        fixture.clock.advance(by: .seconds(1))
        #expect(fixture.factory.sweep().idleCleaned == 1)
        #expect(engine.state == .cleaned)
        #expect(fixture.factory.metrics.timeoutCleanups == 1)
        #expect(fixture.factory.metrics.totalEnginesCleaned == 1)
    }

    @Test("activity resets idleness, and a running run is never swept as idle")
    func runningNeverIdle() throws {
        let fixture = try EngineFixture(timeouts: ["controlled": .seconds(100_000)])
        let engine = try fixture.engine()
        fixture.clock.advance(by: .seconds(200))
        let run = try engine.startRun(agent: "controlled")
        fixture.clock.advance(by: .seconds(1000))
        fixture.factory.sweep()
        #expect(engine.state == .running)
        #expect(engine.run(id: run.id)?.state == .running)
        fixture.controlled.run(run.id)?.output.finish(.completed(result: .null))
        fixture.clock.advance(by: .seconds(299))
        fixture.factory.sweep()
        #expect(engine.state == .active)
        fixture.clock.advance(by: .seconds(1))
        fixture.factory.sweep()
        #expect(engine.state == .cleaned)
        #expect(engine.run(id: run.id)?.state == .completed)
    }

    @Test("past its lifetime an engine refuses new runs, finishes its run, then is cleaned")
    func lifetimeWaitsForRuns() throws {
        let configuration = FactoryConfiguration(idleTimeout: .seconds(100_000), maxLifetime: .seconds(3600), runGrace: .seconds(30))
        let fixture = try EngineFixture(configuration: configuration, timeouts: ["controlled": .seconds(100_000)])
        let engine = try fixture.engine()
        fixture.clock.advance(by: .seconds(3590))
        let run = try engine.startRun(agent: "controlled")
        fixture.clock.advance(by: .seconds(10))
        fixture.factory.sweep()
        #expect(!engine.isAcceptingRuns)
        #expect(engine.state == .running)
        #expect(throws: RunRequestError.engineRetiring) { try engine.startRun(agent: "sync-echo") }
        fixture.clock.advance(by: .seconds(20))
        fixture.factory.sweep()
        #expect(engine.state == .running)
        fixture.controlled.run(run.id)?.output.finish(.completed(result: .string("ok")))
        fixture.factory.sweep()
        #expect(engine.state == .cleaned)
        #expect(engine.run(id: run.id)?.state == .completed)
        #expect(fixture.factory.metrics.timeoutCleanups == 1)
    }

    @Test("a run outliving the lifetime's grace is cancelled with reason max_lifetime, never silently")
    func lifetimeGraceCancels() throws {
        let configuration = FactoryConfiguration(idleTimeout: .seconds(100_000), maxLifetime: .seconds(3600), runGrace: .seconds(30))
        let fixture = try EngineFixture(configuration: configuration, timeouts: ["controlled": .seconds(100_000)])
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled")
        fixture.clock.advance(by: .seconds(3629))
        fixture.factory.sweep()
        #expect(engine.run(id: run.id)?.state == .running)
        fixture.clock.advance(by: .seconds(1))
        fixture.factory.sweep()
        #expect(engine.state == .cleaned)
        #expect(engine.run(id: run.id)?.state == .cancelled)
        #expect(engine.run(id: run.id)?.reason == "max_lifetime")
        #expect(fixture.sink.events(executionID: run.id).last?.data["reason"] == .string("max_lifetime"))
        #expect(fixture.controlled.run(run.id)?.handle.cancelCount == 1)
    }

    @Test("the background sweep runs every cleanup interval on the injected clock")
    func backgroundSweep() async throws {
        let fixture = try EngineFixture(backgroundSweep: true)
        let engine = try fixture.engine()
        #expect(await fixture.clock.waitForSleepers(atLeast: 1))
        for minute in 1...4 {
            fixture.clock.advance(by: .seconds(60))
            #expect(await eventually { fixture.factory.metrics.sweepsCompleted == minute })
            #expect(engine.state == .active)
        }
        fixture.clock.advance(by: .seconds(60))
        #expect(await eventually { engine.state == .cleaned })
        #expect(fixture.factory.metrics.timeoutCleanups == 1)
        await fixture.factory.shutdown(deadline: .zero)
        #expect(fixture.clock.sleeperCount == 0)
    }
}
