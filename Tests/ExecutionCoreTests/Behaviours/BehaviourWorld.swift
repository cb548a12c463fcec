@testable import ExecutionCore

/// The wiring the SPEC §5 behaviours run against: the real factory, policy, context registry,
/// event hub and builtin agents (`echo`, `tools`) from the agent catalog.
struct BehaviourWorld {
    let clock = ManualClock()
    let policy = ContextPolicy()
    let hub: EventHub
    let registry: ContextRegistry
    let factory: ExecutionEngineFactory

    static func agents(clock: any ExecutionClock = SystemClock()) throws -> AgentCatalog {
        try AgentCatalog(definitions: [AgentDefinition(name: "echo", kind: .builtin(.echo)),
                                       AgentDefinition(name: "tools", kind: .builtin(.tools))], clock: clock)
    }

    init() throws {
        hub = EventHub(clock: clock)
        registry = ContextRegistry(clock: clock, sweepInterval: nil)
        factory = try ExecutionEngineFactory(eventPublisher: hub, agents: Self.agents(clock: clock), contextPolicy: policy,
                                             clock: clock, runsBackgroundSweep: false)
    }

    func context(user: String, thread: String = "thread-1") throws -> UserExecutionContext {
        try policy.makeContext(userID: user, threadID: thread, clock: clock)
    }

    func engine(user: String, thread: String = "thread-1") throws -> UserExecutionEngine {
        try factory.create(for: context(user: user, thread: thread))
    }

    /// Everything the hub retains for `userID`, read the way a resuming client reads it.
    func events(userID: String, filter: EventFilter = .all) -> [EventEnvelope] {
        guard let subscription = try? hub.subscribe(userID: userID, filter: filter, after: 0, wake: {}) else { return [] }
        defer { subscription.cancel() }
        return subscription.next().events.map(\.envelope)
    }

    func events(userID: String, executionID: String) -> [EventEnvelope] {
        events(userID: userID, filter: EventFilter(executionID: executionID))
    }
}
