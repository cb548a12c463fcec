import Synchronization
import Testing
@testable import ExecutionCore
import VisibleLocks

@Suite("Engine cancel, stats and cleanup")
struct EngineCancelTests {
    @Test("cancel is idempotent: cancelling, then cancelled once the agent stops, then already terminal")
    func cancelIdempotent() throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled")
        let agent = try #require(fixture.controlled.run(run.id))
        guard case .cancelling = engine.cancelRun(id: run.id) else { Issue.record("expected cancelling"); return }
        guard case .cancelling = engine.cancelRun(id: run.id) else { Issue.record("expected cancelling again"); return }
        #expect(agent.handle.gracePeriods == [.seconds(2)])
        agent.output.progress(.agentThinking, data: .object(["note": .string("stopping")]))
        // Whatever the agent reports now, the run ends cancelled.
        agent.output.finish(.completed(result: .string("too late")))
        guard case .alreadyTerminal(let record) = engine.cancelRun(id: run.id) else { Issue.record("expected terminal"); return }
        #expect(record.state == .cancelled)
        #expect(record.reason == "cancelled")
        #expect(record.result == nil)
        #expect(fixture.sink.types(executionID: run.id).filter(\.isTerminal) == [.runCancelled])
        #expect(engine.cancelRun(id: "no-such-run") == .notFound)
    }

    @Test("an agent that confirms at once converges within the cancel call")
    func cancelConfirmed() throws {
        let fixture = try EngineFixture(confirmsCancel: true)
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled")
        _ = engine.cancelRun(id: run.id)
        #expect(engine.run(id: run.id)?.state == .cancelled)
        #expect(fixture.sink.types(executionID: run.id) == [.agentStarted, .runCancelled])
        #expect(engine.stats.cancelledRuns == 1)
        #expect(engine.stats.failedRuns == 0)
    }

    @Test("stats: totals, averages and maxima of queue wait and execution time")
    func stats() throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(engine: EngineConfiguration(maxConcurrentRuns: 1)))
        let engine = try fixture.engine()
        let first = try engine.startRun(agent: "controlled")
        let second = try engine.startRun(agent: "controlled")
        fixture.clock.advance(by: .seconds(2))
        fixture.controlled.run(first.id)?.output.finish(.completed(result: .null))
        fixture.clock.advance(by: .seconds(4))
        fixture.controlled.run(second.id)?.output.finish(.failed(kind: "exit_status", message: "1"))
        let stats = engine.stats
        #expect(stats.totalRuns == 2)
        #expect(stats.completedRuns == 1)
        #expect(stats.failedRuns == 1)
        #expect(stats.averageQueueWait == .seconds(1))
        #expect(stats.maxQueueWait == .seconds(2))
        #expect(stats.averageExecutionTime == .seconds(3))
        #expect(stats.maxExecutionTime == .seconds(4))
        #expect(stats.jsonValue["average_execution_time_ms"] == .double(3000))
    }

    @Test("cleanup ends every live run (reason engine_cleaned), stops agents, keeps the stats' shape")
    func cleanupEndsRuns() throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(engine: EngineConfiguration(maxConcurrentRuns: 1)))
        let engine = try fixture.engine()
        _ = try engine.startRun(agent: "sync-echo")
        let running = try engine.startRun(agent: "controlled")
        let queued = try engine.startRun(agent: "controlled")
        let keysBefore = try #require(engine.stats.jsonValue.objectValue).keys.sorted()
        #expect(fixture.factory.cleanup(engineID: engine.id, userID: "alice") == .cleaned)
        #expect(engine.state == .cleaned)
        #expect(engine.runs.allSatisfy { $0.state.isTerminal })
        #expect(engine.run(id: running.id)?.reason == "engine_cleaned")
        #expect(engine.run(id: queued.id)?.reason == "engine_cleaned")
        #expect(fixture.controlled.run(running.id)?.handle.cancelCount == 1)
        #expect(fixture.controlled.run(queued.id) == nil)
        let stats = engine.stats
        #expect(try #require(stats.jsonValue.objectValue).keys.sorted() == keysBefore)
        #expect(stats.totalRuns == 3)
        #expect(stats.completedRuns == 1)
        #expect(stats.cancelledRuns == 2)
        #expect(stats.activeRuns == 0)
        #expect(stats.queuedRuns == 0)
        #expect(engine.summary.state == .cleaned)
        #expect(engine.summary.stats == stats)
        // A late agent report changes nothing.
        fixture.controlled.run(running.id)?.output.finish(.completed(result: .null))
        #expect(engine.stats == stats)
    }

    @Test("a run cancelled while its agent is still starting has its work stopped once the handle exists")
    func cancelDuringStart() throws {
        // An agent whose start calls back into the engine: it cancels its own run via the engine
        // before returning its handle (as a racing owner cancel would).
        final class SelfCancelling: AgentRunner {
            let engineBox = VisibleMutex<UserExecutionEngine?>(nil)
            let handle = ControlledHandleBox()
            func start(_ request: AgentRunRequest, output: any AgentRunOutput) throws(AgentStartError) -> any AgentRunHandle {
                _ = engineBox.withLock { $0 }?.cancelRun(id: request.executionID)
                return handle
            }
        }
        final class ControlledHandleBox: AgentRunHandle {
            let count = Atomic<Int>(0)
            var cancels: Int { count.load(ordering: .sequentiallyConsistent) }
            func cancel(gracePeriod: Duration) { count.add(1, ordering: .sequentiallyConsistent) }
        }
        let runner = SelfCancelling()
        let sink = RecordingEventPublisher()
        let clock = ManualClock()
        let factory = try ExecutionEngineFactory(eventPublisher: sink, agents: TestAgents(runners: ["self": runner]),
                                                 clock: clock, runsBackgroundSweep: false)
        let engine = try factory.create(for: try ContextPolicy().makeContext(userID: "alice", threadID: "t-1", clock: clock))
        runner.engineBox.withLock { $0 = engine }
        let run = try engine.startRun(agent: "self")
        #expect(engine.run(id: run.id)?.state == .cancelling)
        #expect(runner.handle.cancels == 1)
    }
}
