import ExecutionCore
import Logging
import Synchronization

/// The execution core assembled from the configuration: the context policy and registry, the
/// event hub, the agent catalog, the engine factory and the idempotency store, plus what the
/// HTTP layer needs beside them (the authenticator, the clock, a logger).
///
/// Built once at start; every route (the REST routes here, the event streams elsewhere) reads
/// what it needs from it. `shutdown()` takes the core down in order.
public final class ExecutionService: Sendable {
    public let configuration: ServiceConfiguration
    public let authenticator: Authenticator
    public let clock: any ExecutionClock
    public let logger: Logger
    public let contextPolicy: ContextPolicy
    public let contexts: ContextRegistry
    /// Per-user event logs and fan-out; what the SSE and WebSocket endpoints subscribe to.
    public let hub: EventHub
    public let agents: AgentCatalog
    public let factory: ExecutionEngineFactory
    public let idempotency: any IdempotencyStore
    /// Terminal runs by outcome (counted as engines publish their terminal events).
    public let runOutcomes: RunOutcomeCounter
    private let housekeeping: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// The `streams` section (per-user cap, heartbeat, retry), for the streaming endpoints.
    public var streams: StreamSettings { configuration.streams }

    /// Builds the core. Throws when the agents cannot be set up (a process agent whose program
    /// does not exist, no process reactor): the message names the agent entry and field.
    public init(configuration: ServiceConfiguration, authenticator: Authenticator,
                clock: any ExecutionClock = SystemClock(),
                logger: Logger = Logger(label: "isolationd.service")) throws(ServiceStartError) {
        self.configuration = configuration
        self.authenticator = authenticator
        self.clock = clock
        self.logger = logger
        let c = configuration.contexts
        contextPolicy = ContextPolicy(placeholderValues: c.placeholderValues, reservedKeys: c.reservedKeys,
                                      maxJSONBytes: c.maxJSONBytes, maxDepth: c.maxDepth)
        contexts = ContextRegistry(store: InMemoryContextStore(maxPerUser: c.maxPerUser, maxTotal: c.maxTotal),
                                   ttl: .seconds(c.ttlSeconds), clock: clock,
                                   sweepInterval: .seconds(min(60, max(1, c.ttlSeconds / 4))))
        let e = configuration.events
        hub = EventHub(configuration: EventHubConfiguration(
            replayRingSize: e.replayRingSize, subscriberQueueCapacity: e.subscriberQueueSize,
            maxSubscribersPerUser: configuration.streams.maxPerUser,
            sanitizer: .init(redactKeys: e.redactKeys, maxStringBytes: e.maxStringBytes, maxArrayItems: e.maxArrayItems)),
            clock: clock)
        do {
            agents = try AgentCatalog(definitions: configuration.agents, clock: clock)
        } catch {
            throw ServiceStartError(description: "invalid configuration: \(error)")
        }
        runOutcomes = RunOutcomeCounter(forwardingTo: hub)
        do {
            factory = try ExecutionEngineFactory(eventSink: runOutcomes, agents: agents,
                                                 configuration: Self.factoryConfiguration(configuration),
                                                 contextPolicy: contextPolicy, clock: clock)
        } catch {
            agents.shutdown()
            throw ServiceStartError(description: "\(error)")
        }
        idempotency = InMemoryIdempotencyStore(ttl: .seconds(configuration.idempotency.ttlSeconds),
                                               maxKeysPerUser: configuration.idempotency.maxKeysPerUser)
        startHousekeeping()
    }

    /// The factory's limits and every engine's, from the `factory` and `engines` sections
    /// (one source for every timeout).
    public static func factoryConfiguration(_ configuration: ServiceConfiguration) -> FactoryConfiguration {
        let f = configuration.factory
        let e = configuration.engines
        let engine = EngineConfiguration(maxConcurrentRuns: e.maxConcurrentRuns, maxQueuedRuns: e.maxQueuedRuns,
                                         historySize: e.historySize, runTimeout: .seconds(e.runTimeoutSeconds),
                                         cancelGrace: .seconds(e.cancelGraceSeconds),
                                         cancelSettleTimeout: .seconds(e.cancelGraceSeconds + 3))
        return FactoryConfiguration(maxEnginesPerUser: f.maxEnginesPerUser, maxEnginesTotal: f.maxEnginesTotal,
                                    perUserEngineLimits: f.perUserOverrides,
                                    idleTimeout: .seconds(f.idleTimeoutSeconds), maxLifetime: .seconds(f.maxLifetimeSeconds),
                                    runGrace: .seconds(f.runGraceSeconds), cleanupInterval: .seconds(f.cleanupIntervalSeconds),
                                    shutdownDeadline: .seconds(f.shutdownDeadlineSeconds),
                                    breakerFailureThreshold: f.breaker.failureThreshold,
                                    breakerCooldown: .seconds(f.breaker.cooldownSeconds), engine: engine)
    }

    /// Sweeps the idempotency store and evicts idle event logs once a minute (the context
    /// registry and the factory sweep themselves).
    private func startHousekeeping() {
        let store = idempotency
        let hub = hub
        let clock = clock
        let task = Task.detached {
            while !Task.isCancelled {
                do { try await clock.sleep(for: .seconds(60)) } catch { return }
                store.sweep(now: clock.now())
                hub.evictIdleLogs()
            }
        }
        housekeeping.withLock { $0 = task }
    }

    /// Takes the core down in order: no new engines, running runs get until `deadline` (default
    /// `factory.shutdown_deadline_seconds`), then every engine is cleaned and leftover runs end
    /// with reason `shutdown`; then streams are told (`shutdown`), background sweeps stop and
    /// the process reactor ends. Idempotent.
    public func shutdown(deadline: Duration? = nil) async {
        housekeeping.withLock { $0 }?.cancel()
        await factory.shutdown(deadline: deadline)
        hub.terminateAll(reason: .shutdown)
        await contexts.shutdown()
        agents.shutdown()
    }
}

/// The core could not be assembled from the configuration.
public struct ServiceStartError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
