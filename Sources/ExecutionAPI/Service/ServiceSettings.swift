import ExecutionCore

/// What the execution service is built from, given by its caller (the executable reads it from
/// the configuration; tests write it in code): limits of contexts, the factory and engines, the
/// event log, streams and idempotency, and the agents on offer. Plain values, no parsing.
public struct ServiceSettings: Sendable {
    public var contexts = ContextSettings()
    public var factory = FactorySettings()
    public var engines = EngineSettings()
    public var events = EventSettings()
    public var streams = StreamSettings()
    public var idempotency = IdempotencySettings()
    public var budgets = BudgetSettings()
    /// The agents runs may name (none unless given).
    public var agents: [AgentDefinition] = []

    public init() {}

    /// The factory's limits and every engine's, from `factory` and `engines` (one source for
    /// every timeout).
    public var factoryConfiguration: FactoryConfiguration {
        let f = factory
        let e = engines
        let engine = EngineConfiguration(maxConcurrentRuns: e.maxConcurrentRuns, maxQueuedRuns: e.maxQueuedRuns,
                                         historySize: e.historySize, runTimeout: .seconds(e.runTimeoutSeconds),
                                         cancelGrace: .seconds(e.cancelGraceSeconds),
                                         cancelSettleTimeout: .seconds(e.cancelGraceSeconds + 3),
                                         maxRunInputBytes: e.maxRunInputBytes, maxAgentDataBytes: e.maxAgentDataBytes)
        return FactoryConfiguration(maxEnginesPerUser: f.maxEnginesPerUser, maxEnginesTotal: f.maxEnginesTotal,
                                    perUserEngineLimits: f.perUserOverrides,
                                    idleTimeout: .seconds(f.idleTimeoutSeconds), maxLifetime: .seconds(f.maxLifetimeSeconds),
                                    runGrace: .seconds(f.runGraceSeconds), cleanupInterval: .seconds(f.cleanupIntervalSeconds),
                                    shutdownDeadline: .seconds(f.shutdownDeadlineSeconds),
                                    breakerFailureThreshold: f.breaker.failureThreshold,
                                    breakerCooldown: .seconds(f.breaker.cooldownSeconds), engine: engine)
    }

    /// The event hub's configuration: the `events` section, with the per-user stream cap from
    /// `streams` (the hub counts subscribers).
    public var eventHubConfiguration: EventHubConfiguration {
        let e = events
        return EventHubConfiguration(
            replayRingSize: e.replayRingSize, subscriberQueueCapacity: e.subscriberQueueSize,
            maxSubscribersPerUser: streams.maxPerUser,
            sanitizer: .init(redactKeys: e.redactKeys, maxStringBytes: e.maxStringBytes, maxArrayItems: e.maxArrayItems))
    }
}
