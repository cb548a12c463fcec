import ExecutionCore

/// Engine create + cleanup throughput through the factory with 1,000 users (target ≥ 200,000/s):
/// each round creates one engine for every user (1,000 live engines), then cleans them all.
enum EngineBench {
    static func run(seconds: Double) {
        print("== engines")
        let policy = ContextPolicy()
        let clock = SystemClock()
        guard let factory = try? ExecutionEngineFactory(
            eventPublisher: DiscardingEventPublisher(), agents: NoAgents(),
            configuration: FactoryConfiguration(maxEnginesTotal: 1000), contextPolicy: policy, clock: clock,
            runsBackgroundSweep: false)
        else { return }
        let contexts = (0..<1000).compactMap { try? policy.makeContext(userID: "bench-user-\($0)", threadID: "thread-main", clock: clock) }
        var failures = 0
        var engines: [UserExecutionEngine] = []
        engines.reserveCapacity(contexts.count)

        let measured = CoreBenchTiming.measure(seconds: seconds) { _ in
            for context in contexts {
                if let engine = try? factory.create(for: context) { engines.append(engine) } else { failures += 1 }
            }
            for engine in engines where factory.cleanup(engineID: engine.id, userID: engine.context.userID) != .cleaned {
                failures += 1
            }
            engines.removeAll(keepingCapacity: true)
            return contexts.count
        }
        CoreBenchTiming.report("create+cleanup, 1,000 users", measured, unit: "engines/s")
        let metrics = factory.metrics
        print("   created \(metrics.totalEnginesCreated), cleaned \(metrics.totalEnginesCleaned), active \(metrics.activeEnginesCount), failures \(failures)")
    }
}

/// The benches measure the core, not event delivery.
private struct DiscardingEventPublisher: EventPublisher {
    func publish(_ draft: consuming EventDraft) -> PublishedEvent { PublishedEvent(EventEnvelope(id: 0, draft: draft, json: [])) }
}

private struct NoAgents: AgentProvider {
    func runner(named name: String) -> (any AgentRunner)? { nil }
    func runTimeout(forAgent name: String) -> Duration? { nil }
}
