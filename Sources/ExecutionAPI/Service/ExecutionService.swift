import ExecutionCore
import Logging
import Synchronization
import VisibleLocks

/// The execution core assembled from its settings: the context policy and registry, the event
/// hub, the agent catalog, the engine factory and the idempotency store, plus what the HTTP layer
/// needs beside them (the authenticator, the clock, a logger).
///
/// Built once at start; every route (the REST routes and the event streams) reads what it needs
/// from it. `shutdown()` takes the core down in order.
public final class ExecutionService: Sendable {
    public let settings: ServiceSettings
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
    /// Every retained byte per user and in total, against the `budgets` (the global one fitted
    /// to the container's memory limit at start).
    public let ledger: RetainedBytesLedger
    /// Terminal runs by outcome (counted as engines publish their terminal events).
    public let runOutcomes: RunOutcomeCounter
    /// The engines' events on their way to the shared journal; nil in memory.
    public let journalPublisher: JournaledEventPublisher?
    /// Run records of every replica (the journal's); nil in memory.
    public let journal: (any EventJournal)?
    private let housekeeping: VisibleMutex<Task<Void, Never>?> = VisibleMutex(nil)

    /// The per-user stream cap, heartbeat and retry hint, for the streaming endpoints.
    public var streams: StreamSettings { settings.streams }

    /// Builds the core. Throws when the agents cannot be set up (a process agent whose program
    /// does not exist, no process reactor): the message names the agent entry and field.
    /// `shared`: stores several replicas share (PostgreSQL, issue 13); nil keeps everything in
    /// this process's memory.
    public init(settings: ServiceSettings, authenticator: Authenticator,
                clock: any ExecutionClock = SystemClock(),
                logger: Logger = Logger(label: "isolationd.service"),
                shared: SharedStores? = nil) throws(ServiceStartError) {
        self.settings = settings
        self.authenticator = authenticator
        self.clock = clock
        self.logger = logger
        ledger = RetainedBytesLedger(limits: settings.budgets.limits.fitted(toMemoryLimit: CgroupMemoryLimit.current()))
        let c = settings.contexts
        contextPolicy = ContextPolicy(placeholderValues: c.placeholderValues, reservedKeys: c.reservedKeys,
                                      maxJSONBytes: c.maxJSONBytes, maxDepth: c.maxDepth)
        contexts = ContextRegistry(store: shared?.contexts
                                       ?? InMemoryContextStore(maxPerUser: c.maxPerUser, maxTotal: c.maxTotal, ledger: ledger),
                                   ttl: .seconds(c.ttlSeconds), clock: clock,
                                   sweepInterval: .seconds(min(60, max(1, c.ttlSeconds / 4))))
        journal = shared?.events
        let hub = EventHub(configuration: settings.eventHubConfiguration, clock: clock, ledger: ledger, journal: shared?.events)
        self.hub = hub
        journalPublisher = shared?.events.map { JournaledEventPublisher(hub: hub, journal: $0) }
        do {
            agents = try AgentCatalog(definitions: settings.agents,
                                      processConfiguration: .init(maxProcessesPerUser: settings.engines.maxAgentProcessesPerUser),
                                      clock: clock)
        } catch {
            throw ServiceStartError(description: "invalid configuration: \(error)")
        }
        runOutcomes = RunOutcomeCounter(forwardingTo: journalPublisher ?? hub)
        do {
            factory = try ExecutionEngineFactory(eventPublisher: runOutcomes, agents: agents,
                                                 configuration: settings.factoryConfiguration,
                                                 contextPolicy: contextPolicy, clock: clock,
                                                 slots: shared?.slots ?? InMemoryEngineSlots(), ledger: ledger)
        } catch {
            agents.shutdown()
            throw ServiceStartError(description: "\(error)")
        }
        idempotency = shared?.idempotency
            ?? InMemoryIdempotencyStore(ttl: .seconds(settings.idempotency.ttlSeconds),
                                        maxKeysPerUser: settings.idempotency.maxKeysPerUser, ledger: ledger)
        startHousekeeping()
        hub.startFollowing()
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
        // The runs' last events reach the journal (and so the other replicas) before streams end.
        if let journalPublisher, !(await journalPublisher.flush(timeout: .seconds(5))) {
            logger.warning("some events were still waiting for the database when the service stopped")
        }
        hub.terminateAll(reason: .shutdown)
        await contexts.shutdown()
        agents.shutdown()
    }
}

/// The stores that replicas share when the service runs on a database: engine slots (the
/// quotas), idempotency records, execution contexts and the event journal with its run records
/// (nil keeps that part in memory). Made by the executable (the core knows no SQL).
public struct SharedStores: Sendable {
    public var slots: any EngineSlotAccounting
    public var idempotency: any IdempotencyStore
    public var contexts: (any ContextStore)?
    public var events: (any EventJournal)?

    public init(slots: any EngineSlotAccounting, idempotency: any IdempotencyStore, contexts: (any ContextStore)? = nil,
                events: (any EventJournal)? = nil) {
        self.slots = slots
        self.idempotency = idempotency
        self.contexts = contexts
        self.events = events
    }
}

/// The core could not be assembled from its settings (an agent that cannot be set up).
public struct ServiceStartError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
