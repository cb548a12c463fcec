import Testing
@testable import ExecutionCore

@Suite("Engine runs and events")
struct EngineRunTests {
    @Test("a run: server-made id, agent_started, progress, exactly one agent_completed, all stamped")
    func completedRun() throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        let input: JSONValue = .object(["message": .string("hello")])
        let started = try engine.startRun(agent: "sync-echo", input: input)
        #expect(started.state == .running)
        #expect(started.id.utf8.count == 36)
        #expect(started.engineID == engine.id)
        #expect(fixture.sink.types(executionID: started.id) == [.agentStarted, .agentThinking, .agentCompleted])
        for event in fixture.sink.events(executionID: started.id) {
            #expect(event.identity == engine.emitter.identity)
            #expect(event.agent == "sync-echo")
        }
        #expect(engine.emitter.identity == EventIdentity(userID: "alice", threadID: "thread-a", runID: engine.context.runID,
                                                         requestID: engine.context.requestID, engineID: engine.id))
        let record = try #require(engine.run(id: started.id))
        #expect(record.state == .completed)
        #expect(record.result == input)
        #expect(fixture.sink.events(executionID: started.id).last?.data["result"] == input)
        #expect(engine.state == .active)
    }

    @Test("the agent receives the context as JSON and the input; its progress is forwarded with timings")
    func agentSeesContextAndInput() throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled", input: .object(["n": .integer(7)]))
        let agent = try #require(fixture.controlled.run(run.id))
        #expect(agent.request.context == engine.context.jsonValue)
        #expect(agent.request.input == .object(["n": .integer(7)]))
        #expect(agent.request.agent == "controlled")
        #expect(engine.state == .running)
        agent.output.progress(.agentThinking, data: .object(["step": .integer(1)]))
        agent.output.progress(.toolExecuting, data: .object(["tool_name": .string("search")]))
        agent.output.progress(.toolCompleted, data: .object(["tool_name": .string("search"), "result": .integer(3)]))
        fixture.clock.advance(by: .milliseconds(1500))
        agent.output.finish(.completed(result: .string("done")))
        agent.output.finish(.failed(kind: "late", message: "ignored"))
        agent.output.progress(.agentThinking, data: .null)
        #expect(fixture.sink.types(executionID: run.id) ==
            [.agentStarted, .agentThinking, .toolExecuting, .toolCompleted, .agentCompleted])
        #expect(fixture.sink.events(executionID: run.id).last?.data["duration_ms"] == .integer(1500))
        let record = try #require(engine.run(id: run.id))
        #expect(record.duration == .milliseconds(1500))
        #expect(record.queueWait == .zero)
        #expect(record.endedAt == fixture.clock.now())
    }

    @Test("an agent cannot emit lifecycle events: the run fails with bad_output and the agent is stopped")
    func badOutput() throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        for forbidden in [EventType.agentCompleted, .agentStarted, .runCancelled, .runQueued, .agentError, .runTimedOut] {
            let run = try engine.startRun(agent: "controlled")
            let agent = try #require(fixture.controlled.run(run.id))
            agent.output.progress(forbidden, data: .object([:]))
            agent.output.finish(.completed(result: .null))
            #expect(fixture.sink.types(executionID: run.id) == [.agentStarted, .agentError])
            #expect(fixture.sink.events(executionID: run.id).last?.data["kind"] == .string("bad_output"))
            #expect(engine.run(id: run.id)?.state == .failed)
            #expect(engine.run(id: run.id)?.reason == "bad_output")
            #expect(agent.handle.cancelCount == 1)
        }
    }

    @Test("an agent cannot choose the identity its events carry")
    func identityIsStamped() throws {
        let fixture = try EngineFixture()
        let alice = try fixture.engine(user: "alice")
        let run = try alice.startRun(agent: "controlled")
        let agent = try #require(fixture.controlled.run(run.id))
        agent.output.progress(.agentThinking, data: .object(["user_id": .string("mallory"), "run_id": .string("x")]))
        let event = try #require(fixture.sink.events(executionID: run.id).last)
        #expect(event.identity.userID == "alice")
        #expect(event.identity.engineID == alice.id)
        #expect(fixture.sink.events(userID: "mallory").isEmpty)
    }

    @Test("agents failing to start or reporting failure end with agent_error and their kind")
    func failures() throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        let broken = try engine.startRun(agent: "broken")
        #expect(fixture.sink.types(executionID: broken.id) == [.agentStarted, .agentError])
        #expect(engine.run(id: broken.id)?.reason == "spawn_failed")
        #expect(engine.run(id: broken.id)?.errorMessage == "no such executable")
        let failing = try engine.startRun(agent: "controlled")
        fixture.controlled.run(failing.id)?.output.finish(.failed(kind: "exit_status", message: "exited with 3"))
        let event = try #require(fixture.sink.events(executionID: failing.id).last)
        #expect(event.type == .agentError)
        #expect(event.data == .object(["kind": .string("exit_status"), "message": .string("exited with 3")]))
        #expect(engine.stats.failedRuns == 2)
        #expect(throws: RunRequestError.unknownAgent("nope")) { try engine.startRun(agent: "nope") }
    }

    @Test("engine states: active, running, back to active; cleaned engines refuse runs")
    func engineStates() throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        #expect(engine.state == .active)
        #expect(engine.isAcceptingRuns)
        let run = try engine.startRun(agent: "controlled")
        #expect(engine.state == .running)
        fixture.controlled.run(run.id)?.output.finish(.completed(result: .null))
        #expect(engine.state == .active)
        #expect(fixture.factory.cleanup(engineID: engine.id, userID: "alice") == .cleaned)
        #expect(engine.state == .cleaned)
        #expect(!engine.isAcceptingRuns)
        #expect(throws: RunRequestError.engineCleaned) { try engine.startRun(agent: "sync-echo") }
    }

    @Test("run records are bounded by the history size; stats keep counting")
    func historyBound() throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(engine: EngineConfiguration(historySize: 5)))
        let engine = try fixture.engine()
        var ids: [String] = []
        for index in 0..<8 { ids.append(try engine.startRun(agent: "sync-echo", input: .integer(Int64(index))).id) }
        #expect(engine.runs.map(\.id) == Array(ids.suffix(5)))
        for id in ids.prefix(3) { #expect(engine.run(id: id) == nil) }
        #expect(engine.run(id: ids[7])?.result == .integer(7))
        #expect(engine.stats.totalRuns == 8)
        #expect(engine.stats.completedRuns == 8)
        #expect(engine.summary.historyCount == 5)
        #expect(engine.summary.jsonValue["history_capacity"] == .integer(5))
    }
}
