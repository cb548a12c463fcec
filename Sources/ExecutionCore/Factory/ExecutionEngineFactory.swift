import Synchronization
import VisibleLocks

/// The only place engines are made and destroyed (SPEC.md §2): per-user slots reserved
/// atomically, engines built outside any lock, one idempotent cleanup path, a background sweep
/// for idle and expired engines, a circuit breaker on builds, and metrics read from one registry.
public final class ExecutionEngineFactory: Sendable {
    public let configuration: FactoryConfiguration
    public let contextPolicy: ContextPolicy
    /// Guards engine builds; its state is readable (and in `metrics`).
    public let breaker: CircuitBreaker
    let eventPublisher: any EventPublisher
    let agents: any AgentProvider
    let clock: any ExecutionClock
    let slots: any EngineSlotAccounting
    let builder: any EngineBuilder
    let registry: VisibleMutex<EngineRegistry>
    /// Which engine holds each run (engines keep it current; cleanup forgets an engine's runs).
    let runIndex = RunIndex()
    /// Charged for every engine's runs (see `RunTable`); nil keeps no account.
    let ledger: RetainedBytesLedger?
    let sweeper: VisibleMutex<PeriodicTask?> = VisibleMutex(nil)

    /// - Parameters:
    ///   - eventPublisher: where engines publish events (the event hub). Required: without it the
    ///     factory refuses to exist (`FactoryConfigurationError.missingEventPublisher`).
    ///   - runsBackgroundSweep: start the idle/lifetime sweep every `cleanupInterval` on `clock`.
    public init(eventPublisher: (any EventPublisher)?, agents: any AgentProvider,
                configuration: FactoryConfiguration = FactoryConfiguration(),
                contextPolicy: ContextPolicy = ContextPolicy(), clock: any ExecutionClock = SystemClock(),
                slots: any EngineSlotAccounting = InMemoryEngineSlots(),
                builder: any EngineBuilder = StandardEngineBuilder(),
                ledger: RetainedBytesLedger? = nil,
                runsBackgroundSweep: Bool = true) throws(FactoryConfigurationError) {
        guard let eventPublisher else { throw .missingEventPublisher }
        self.eventPublisher = eventPublisher
        self.agents = agents
        self.configuration = configuration
        self.contextPolicy = contextPolicy
        self.clock = clock
        self.slots = slots
        self.builder = builder
        self.ledger = ledger
        breaker = CircuitBreaker(failureThreshold: configuration.breakerFailureThreshold,
                                 cooldown: configuration.breakerCooldown, clock: clock)
        registry = VisibleMutex(EngineRegistry(recentlyCleanedCapacity: configuration.recentlyCleanedCapacity))
        if runsBackgroundSweep, configuration.cleanupInterval > .zero {
            let task = PeriodicTask(clock: clock, interval: configuration.cleanupInterval) { [weak self] in
                guard let self else { return false }
                self.sweep()
                return true
            }
            sweeper.withLock { $0 = task }
        }
    }

    deinit { sweeper.withLock { $0 }?.cancel() }

    /// Makes an engine bound to `context`: validates it, takes one of the user's slots atomically,
    /// builds the engine without holding any lock, then registers it. Any failure after the slot
    /// was taken gives it back. `completion` gets the answer once: before this returns with the
    /// in-memory slots, after the shared store's round trip otherwise (on its thread).
    public func create(for context: UserExecutionContext,
                       completion: @escaping @Sendable (Result<UserExecutionEngine, EngineCreationError>) -> Void) {
        let permit: CircuitBreaker.Permit
        do throws(EngineCreationError) {
            permit = try admit(context)
        } catch {
            return completion(.failure(error))
        }
        let userID = context.userID
        let userLimit = configuration.engineLimit(forUser: userID)
        slots.reserve(userID: userID, userLimit: userLimit, globalLimit: configuration.maxEnginesTotal) { [self] reservation in
            completion(Result { () throws(EngineCreationError) -> UserExecutionEngine in
                try build(context, permit: permit, userLimit: userLimit, reservation: reservation)
            })
        }
    }

    /// `create(for:completion:)` for slots that answer at once (the in-memory default, and
    /// tests); with slots that answer later it is a programming error (the API layer uses the
    /// completion form).
    public func create(for context: UserExecutionContext) throws(EngineCreationError) -> UserExecutionEngine {
        let answer = VisibleMutex<Result<UserExecutionEngine, EngineCreationError>?>(nil)
        create(for: context) { result in answer.withLock { $0 = result } }
        guard let result = answer.withLock({ $0 }) else {
            preconditionFailure("create(for:) needs slot accounting that answers at once; use create(for:completion:)")
        }
        return try result.get()
    }

    /// Everything decided before a slot is asked for: the context's rules, shutdown, the breaker.
    private func admit(_ context: UserExecutionContext) throws(EngineCreationError) -> CircuitBreaker.Permit {
        do {
            try contextPolicy.validate(context)
        } catch {
            count(.creationError)
            throw .invalidContext(error)
        }
        if registry.withLock({ $0.closed }) { throw .shuttingDown }
        switch breaker.acquire() {
        case .allowed(let granted): return granted
        case .rejected(let retryAfter):
            count(.breakerRejection)
            throw .breakerOpen(retryAfter: retryAfter)
        }
    }

    /// The rest of a creation, once the slot store answered.
    private func build(_ context: UserExecutionContext, permit: CircuitBreaker.Permit, userLimit: Int,
                       reservation: SlotReservation) throws(EngineCreationError) -> UserExecutionEngine {
        let userID = context.userID
        switch reservation {
        case .reserved: break
        case .userLimitReached:
            breaker.abandon(permit)
            count(.userLimitRejection)
            throw .userLimitExceeded(limit: userLimit, retryAfter: retryHint(forUser: userID))
        case .globalLimitReached:
            breaker.abandon(permit)
            count(.globalLimitRejection)
            throw .globalLimitExceeded(limit: configuration.maxEnginesTotal)
        case .unavailable(let reason):
            // Not the builder's fault: the breaker counts builds, not the store's outages.
            breaker.abandon(permit)
            count(.creationError)
            throw .storeUnavailable(reason: reason)
        }

        let now = clock.now()
        let parts = EngineParts(id: RandomIdentifier.uuid(), context: context, configuration: configuration.engine,
                                createdAt: now, expiresAt: now + configuration.maxLifetime,
                                eventPublisher: eventPublisher, agents: agents, clock: clock, runIndex: runIndex,
                                ledger: ledger)
        let engine: UserExecutionEngine
        do {
            engine = try builder.buildEngine(parts)
            guard engine.id == parts.id, engine.context.requestID == context.requestID,
                  engine.context.userID == context.userID else {
                throw EngineBuilderMismatch()
            }
        } catch {
            _ = slots.release(userID: userID)
            breaker.recordFailure(permit)
            count(.creationError)
            throw .buildFailed(message: String(describing: error))
        }

        let committed = registry.withLock { registry in
            guard !registry.closed else { return false }
            registry.insert(engine)
            return true
        }
        breaker.recordSuccess(permit)
        guard committed else {
            // Shutdown began while it was being built: it never existed as far as anyone knows.
            _ = engine.beginCleanup(reason: .shutdown, now: now)
            engine.finishCleanup()
            _ = slots.release(userID: userID)
            throw .shuttingDown
        }
        return engine
    }

    /// When a refused user may expect a slot: the soonest their idle engine will be swept, or the
    /// idle timeout plus a sweep interval when all are busy. At least one second.
    private func retryHint(forUser userID: String) -> Duration {
        let now = clock.now()
        let engines = registry.withLock { $0.engines(userID: userID) }
        var soonest = configuration.idleTimeout + configuration.cleanupInterval
        for engine in engines where !engine.hasLiveRuns {
            let idleEnds = engine.lastActivityAt + configuration.idleTimeout + configuration.cleanupInterval
            soonest = min(soonest, idleEnds - now)
        }
        return max(soonest, .seconds(1))
    }

    // MARK: - Counters (each incremented here and only here, or in `EngineRegistry` for created/cleaned)

    enum CountedEvent {
        case creationError, cleanupError, userLimitRejection, globalLimitRejection, breakerRejection, sweep
    }

    func count(_ event: CountedEvent) {
        registry.withLock { registry in
            switch event {
            case .creationError: registry.counters.creationErrors += 1
            case .cleanupError: registry.counters.cleanupErrors += 1
            case .userLimitRejection: registry.counters.userLimitRejections += 1
            case .globalLimitRejection: registry.counters.globalLimitRejections += 1
            case .breakerRejection: registry.counters.breakerRejections += 1
            case .sweep: registry.counters.sweeps += 1
            }
        }
    }

    /// The factory's figures now.
    public var metrics: FactoryMetrics {
        var metrics = registry.withLock { registry in
            var metrics = FactoryMetrics()
            let counters = registry.counters
            metrics.totalEnginesCreated = counters.created
            metrics.totalEnginesCleaned = counters.cleaned
            metrics.activeEnginesCount = registry.engines.count
            metrics.creationErrors = counters.creationErrors
            metrics.cleanupErrors = counters.cleanupErrors
            metrics.timeoutCleanups = counters.timeoutCleanups
            metrics.userLimitRejections = counters.userLimitRejections
            metrics.globalLimitRejections = counters.globalLimitRejections
            metrics.breakerRejections = counters.breakerRejections
            metrics.sweepsCompleted = counters.sweeps
            metrics.perUserActive = registry.byUser.mapValues(\.count)
            return metrics
        }
        metrics.breakerState = breaker.state
        return metrics
    }
}

/// A custom builder returned an engine not made from the parts it was given.
struct EngineBuilderMismatch: Error, CustomStringConvertible {
    var description: String { "the engine builder returned an engine not bound to the requested context" }
}
