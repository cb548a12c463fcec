import Synchronization
import Testing
@testable import ExecutionCore
import VisibleLocks

// Test doubles of the core's plug-in interfaces (EventPublisher, AgentRunner/AgentProvider,
// EngineBuilder). They stand in for the event hub and real agents; the logic under test
// (contexts, factory, engines) is always the real one.

/// Records every published event, numbering them per user like the hub does.
final class RecordingEventPublisher: EventPublisher {
    private let state = VisibleMutex<(events: [EventEnvelope], sequences: [String: UInt64])>(([], [:]))

    func publish(_ draft: consuming EventDraft) -> PublishedEvent {
        let draft = copy draft
        return state.withLock { state in
            let id = (state.sequences[draft.identity.userID] ?? 0) + 1
            state.sequences[draft.identity.userID] = id
            let envelope = EventEnvelope(id: id, draft: draft, json: [])
            state.events.append(envelope)
            return PublishedEvent(envelope)
        }
    }

    var events: [EventEnvelope] { state.withLock { $0.events } }

    func events(executionID: String) -> [EventEnvelope] { events.filter { $0.executionID == executionID } }
    func types(executionID: String) -> [EventType] { events(executionID: executionID).map(\.type) }
    func events(userID: String) -> [EventEnvelope] { events.filter { $0.identity.userID == userID } }
}

/// A started run as the controlled agent saw it.
struct StartedRun: Sendable {
    let request: AgentRunRequest
    let output: any AgentRunOutput
    let handle: ControlledHandle
}

/// The handle of a controlled run: records cancels; optionally confirms them at once, the way a
/// process agent reports its end after SIGTERM.
final class ControlledHandle: AgentRunHandle {
    private let cancels = VisibleMutex<[Duration]>([])
    private let output: any AgentRunOutput
    let confirmsCancel: Bool

    init(output: any AgentRunOutput, confirmsCancel: Bool) {
        self.output = output
        self.confirmsCancel = confirmsCancel
    }

    func cancel(gracePeriod: Duration) {
        cancels.withLock { $0.append(gracePeriod) }
        if confirmsCancel { output.finish(.failed(kind: "terminated", message: "stopped by signal")) }
    }

    var cancelCount: Int { cancels.withLock { $0.count } }
    var gracePeriods: [Duration] { cancels.withLock { $0 } }
}

/// An agent the test drives by hand: it starts, then does whatever the test tells its output.
final class ControlledRunner: AgentRunner {
    private let started = VisibleMutex<[StartedRun]>([])
    let confirmsCancel: Bool

    init(confirmsCancel: Bool = false) { self.confirmsCancel = confirmsCancel }

    func start(_ request: AgentRunRequest, output: any AgentRunOutput) throws(AgentStartError) -> any AgentRunHandle {
        let handle = ControlledHandle(output: output, confirmsCancel: confirmsCancel)
        started.withLock { $0.append(StartedRun(request: request, output: output, handle: handle)) }
        return handle
    }

    var runs: [StartedRun] { started.withLock { $0 } }

    func run(_ executionID: String) -> StartedRun? { runs.first { $0.request.executionID == executionID } }
}

/// Echoes its input at once, inside `start` (the hardest case for the engine: callbacks before
/// `start` has even returned).
struct SynchronousEchoRunner: AgentRunner {
    func start(_ request: AgentRunRequest, output: any AgentRunOutput) throws(AgentStartError) -> any AgentRunHandle {
        output.progress(.agentThinking, data: .object(["step": .integer(1)]))
        output.finish(.completed(result: request.input))
        return NoopHandle()
    }
}

/// Completes on a detached task after a few scheduler turns (a concurrent, real-time agent).
struct AsyncEchoRunner: AgentRunner {
    func start(_ request: AgentRunRequest, output: any AgentRunOutput) throws(AgentStartError) -> any AgentRunHandle {
        Task {
            await Task.yield()
            output.progress(.agentThinking, data: .object(["reasoning": .string("echoing")]))
            output.finish(.completed(result: request.input))
        }
        return NoopHandle()
    }
}

struct FailingStartRunner: AgentRunner {
    func start(_ request: AgentRunRequest, output: any AgentRunOutput) throws(AgentStartError) -> any AgentRunHandle {
        throw AgentStartError("no such executable")
    }
}

struct NoopHandle: AgentRunHandle {
    func cancel(gracePeriod: Duration) {}
}

/// Agents by name, with optional per-agent timeouts.
struct TestAgents: AgentProvider {
    var runners: [String: any AgentRunner]
    var timeouts: [String: Duration] = [:]

    func runner(named name: String) -> (any AgentRunner)? { runners[name] }
    func runTimeout(forAgent name: String) -> Duration? { timeouts[name] }
}

/// Builds real engines, or fails while told to (the breaker's and slot release's test).
final class SwitchableEngineBuilder: EngineBuilder {
    struct BuildFailure: Error, CustomStringConvertible { var description: String { "builder told to fail" } }
    private let failing = Atomic<Bool>(false)
    private let builds = Atomic<Int>(0)

    func setFailing(_ value: Bool) { failing.store(value, ordering: .sequentiallyConsistent) }
    var buildCount: Int { builds.load(ordering: .sequentiallyConsistent) }

    func buildEngine(_ parts: EngineParts) throws -> UserExecutionEngine {
        builds.add(1, ordering: .sequentiallyConsistent)
        if failing.load(ordering: .sequentiallyConsistent) { throw BuildFailure() }
        return try StandardEngineBuilder().buildEngine(parts)
    }
}

/// A policy, clock, sink, agents and factory wired for a test.
struct EngineFixture {
    let clock = ManualClock()
    let sink = RecordingEventPublisher()
    let controlled: ControlledRunner
    let policy = ContextPolicy()
    let builder = SwitchableEngineBuilder()
    let factory: ExecutionEngineFactory

    init(configuration: FactoryConfiguration = FactoryConfiguration(), confirmsCancel: Bool = false,
         timeouts: [String: Duration] = [:], backgroundSweep: Bool = false) throws {
        controlled = ControlledRunner(confirmsCancel: confirmsCancel)
        let agents = TestAgents(runners: ["controlled": controlled, "sync-echo": SynchronousEchoRunner(),
                                          "async-echo": AsyncEchoRunner(), "broken": FailingStartRunner()],
                                timeouts: timeouts)
        factory = try ExecutionEngineFactory(eventPublisher: sink, agents: agents, configuration: configuration,
                                             contextPolicy: policy, clock: clock, builder: builder,
                                             runsBackgroundSweep: backgroundSweep)
    }

    func context(user: String = "alice", thread: String = "thread-a", run: String? = nil,
                 agentContext: JSONObject = [:]) throws -> UserExecutionContext {
        try policy.makeContext(userID: user, threadID: thread, runID: run, agentContext: agentContext, clock: clock)
    }

    func engine(user: String = "alice", thread: String = "thread-a") throws -> UserExecutionEngine {
        try factory.create(for: context(user: user, thread: thread))
    }
}

/// A thread-safe list tasks can append to.
final class Collected<Element: Sendable>: Sendable {
    private let items = VisibleMutex<[Element]>([])
    func append(_ item: Element) { items.withLock { $0.append(item) } }
    var all: [Element] { items.withLock { $0 } }
}
