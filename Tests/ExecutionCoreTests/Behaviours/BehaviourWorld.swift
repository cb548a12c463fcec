@testable import ExecutionCore

/// The wiring the SPEC §5 behaviours run against: the real factory, policy and registry, an
/// event sink and agents by name.
struct BehaviourWorld {
    let clock = ManualClock()
    let policy = ContextPolicy()
    let sink = RecordingEventSink()
    let registry: ContextRegistry
    let factory: ExecutionEngineFactory

    static func agents() -> any AgentProvider {
        TestAgents(runners: ["echo": AsyncEchoRunner()])
    }

    init() throws {
        registry = ContextRegistry(clock: clock, sweepInterval: nil)
        factory = try ExecutionEngineFactory(eventSink: sink, agents: Self.agents(), contextPolicy: policy,
                                             clock: clock, runsBackgroundSweep: false)
    }

    func context(user: String, thread: String = "thread-1") throws -> UserExecutionContext {
        try policy.makeContext(userID: user, threadID: thread, clock: clock)
    }

    func engine(user: String, thread: String = "thread-1") throws -> UserExecutionEngine {
        try factory.create(for: context(user: user, thread: thread))
    }
}
