#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ExecutionCore
import IsolationdTesting

/// Engines running real process agents (from the agent catalog): the context reaches the child,
/// and a timeout or an owner's cancel reaches the child's process group.
@Suite("Engine with process agents")
struct EngineProcessAgentTests {
    /// Answers with the stdin document it was given.
    static let mirror = #"""
    doc=$(cat)
    echo '{"type":"agent_thinking","data":{"step":1}}'
    echo "{\"type\":\"agent_completed\",\"result\":$doc}"
    """#
    /// Reports its pid, ignores SIGTERM, never ends on its own.
    static let stubborn = #"""
    trap '' TERM
    echo "{\"type\":\"agent_thinking\",\"data\":{\"pid\":$$}}"
    while :; do sleep 1; done
    """#

    struct World {
        let scripts = ScriptDirectory()
        let clock = ManualClock()
        let hub: EventHub
        let reactor: ProcessReactor
        let catalog: AgentCatalog
        let factory: ExecutionEngineFactory

        init() throws {
            hub = EventHub(clock: clock)
            reactor = try quietReactor()
            let mirror = scripts.script("mirror.sh", EngineProcessAgentTests.mirror)
            let stubborn = scripts.script("stubborn.sh", EngineProcessAgentTests.stubborn)
            catalog = try AgentCatalog(definitions: [
                AgentDefinition(name: "mirror", kind: .process(scripts.spec(mirror))),
                AgentDefinition(name: "stubborn", kind: .process(scripts.spec(stubborn)), timeout: .seconds(5)),
            ], processReactor: reactor, clock: clock)
            let engine = EngineConfiguration(cancelGrace: .milliseconds(100))
            factory = try ExecutionEngineFactory(eventPublisher: hub, agents: catalog,
                                                 configuration: FactoryConfiguration(engine: engine),
                                                 clock: clock, runsBackgroundSweep: false)
        }

        func engine() throws -> UserExecutionEngine {
            try factory.create(for: ContextPolicy().makeContext(userID: "alice", threadID: "thread-1", clock: clock))
        }

        func events(_ executionID: String) -> [EventEnvelope] {
            guard let subscription = try? hub.subscribe(userID: "alice", filter: EventFilter(executionID: executionID),
                                                        after: 0, wake: {}) else { return [] }
            defer { subscription.cancel() }
            return subscription.next().events.map(\.envelope)
        }

        func pid(_ executionID: String) -> Int32? {
            events(executionID).first { $0.type == .agentThinking }?.data["pid"]?.int64Value.map(Int32.init)
        }

        /// An engine running the stubborn agent, once its child has reported its pid.
        func startStubborn() async throws -> (engine: UserExecutionEngine, run: RunSnapshot, pid: Int32) {
            let engine = try engine()
            let run = try engine.startRun(agent: "stubborn")
            #expect(await eventually(within: .seconds(5)) { pid(run.id) != nil })
            return (engine, run, try #require(pid(run.id)))
        }

        func close() {
            reactor.shutdown()
            scripts.remove()
        }
    }

    @Test("the child receives {context, input}; its JSON lines become the run's events")
    func contextReachesChild() async throws {
        let world = try World()
        defer { world.close() }
        let engine = try world.engine()
        let run = try engine.startRun(agent: "mirror", input: .object(["q": .string("hi")]))
        #expect(await eventually(within: .seconds(5)) { engine.run(id: run.id)?.state.isTerminal == true })
        let record = try #require(engine.run(id: run.id))
        #expect(record.state == .completed)
        #expect(record.result?["context"] == engine.context.jsonValue)
        #expect(record.result?["input"] == .object(["q": .string("hi")]))
        #expect(world.events(run.id).map(\.type) == [.agentStarted, .agentThinking, .agentCompleted])
    }

    @Test("a run past its agent's timeout ends timed_out and its process is killed")
    func timeoutKillsChild() async throws {
        let world = try World()
        defer { world.close() }
        let (engine, run, pid) = try await world.startStubborn()
        #expect(!ProcInfo.isGone(pid))
        world.clock.advance(by: .seconds(5))
        #expect(await eventually { engine.run(id: run.id)?.state == .timedOut })
        #expect(await eventually(within: .seconds(5)) { ProcInfo.isGone(pid) }, "SIGKILL after the grace ended the child")
        #expect(world.events(run.id).map(\.type).filter(\.isTerminal) == [.runTimedOut])
    }

    @Test("an owner's cancel reaches the child: cancelling, then cancelled once it is gone")
    func cancelKillsChild() async throws {
        let world = try World()
        defer { world.close() }
        let (engine, run, pid) = try await world.startStubborn()
        guard case .cancelling = world.factory.cancelRun(id: run.id, userID: "alice") else { Issue.record("expected cancelling"); return }
        #expect(await eventually(within: .seconds(5)) { engine.run(id: run.id)?.state == .cancelled })
        #expect(ProcInfo.isGone(pid))
        #expect(engine.run(id: run.id)?.reason == "cancelled")
        #expect(world.events(run.id).map(\.type).filter(\.isTerminal) == [.runCancelled])
    }
}
