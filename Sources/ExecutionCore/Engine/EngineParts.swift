/// Everything an engine is made of, prepared by the factory (id, validated context, config,
/// dependencies). Only the factory can make these, so an engine only ever comes from the factory.
public struct EngineParts: Sendable {
    public let id: String
    public let context: UserExecutionContext
    public let configuration: EngineConfiguration
    public let createdAt: Timestamp
    public let expiresAt: Timestamp
    let eventPublisher: any EventPublisher
    let agents: any AgentProvider
    let clock: any ExecutionClock
    /// The factory's run → engine index, kept current by the engine.
    let runIndex: RunIndex
    /// Charged for the engine's runs (inputs while live, records in history); nil: no account.
    let ledger: RetainedBytesLedger?

    init(id: String, context: UserExecutionContext, configuration: EngineConfiguration, createdAt: Timestamp,
         expiresAt: Timestamp, eventPublisher: any EventPublisher, agents: any AgentProvider, clock: any ExecutionClock,
         runIndex: RunIndex, ledger: RetainedBytesLedger? = nil) {
        self.id = id
        self.context = context
        self.configuration = configuration
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.eventPublisher = eventPublisher
        self.agents = agents
        self.clock = clock
        self.runIndex = runIndex
        self.ledger = ledger
    }
}
