#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import IsolationdTesting
import Testing
@testable import ExecutionCore

@Suite("Factory under concurrency")
struct FactoryConcurrencyTests {
    @Test("many tasks racing for one user's 2 slots: exactly 2 win, counters exact")
    func slotRace() async throws {
        let fixture = try EngineFixture()
        let contexts = try (0..<64).map { _ in try fixture.context(user: "alice") }
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for context in contexts {
                group.addTask { (try? fixture.factory.create(for: context)) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 2)
        let metrics = fixture.factory.metrics
        #expect(metrics.totalEnginesCreated == 2)
        #expect(metrics.userLimitRejections == 62)
        #expect(metrics.creationErrors == 0)
        #expect(metrics.perUserActive == ["alice": 2])
        #expect(fixture.factory.slots.held(userID: "alice") == 2)
    }

    @Test("racing cleanups of one engine: exactly one cleans it")
    func cleanupRace() async throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        let outcomes = await withTaskGroup(of: CleanupOutcome.self) { group in
            for _ in 0..<32 { group.addTask { fixture.factory.cleanup(engineID: engine.id, userID: "alice") } }
            return await group.reduce(into: [CleanupOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .cleaned }.count == 1)
        #expect(outcomes.filter { $0 == .alreadyCleaned }.count == 31)
        #expect(fixture.factory.metrics.totalEnginesCleaned == 1)
        #expect(fixture.factory.metrics.cleanupErrors == 0)
        #expect(fixture.factory.slots.totalHeld == 0)
    }

    @Test("many users creating, running, cancelling and cleaning at once leave no engine, slot or live run")
    func manyUsers() async throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(engine: EngineConfiguration(maxConcurrentRuns: 2, maxQueuedRuns: 4)))
        let users = (0..<40).map { "user-\($0)" }
        let engines = Collected<UserExecutionEngine>()
        await withTaskGroup(of: Void.self) { group in
            for user in users {
                group.addTask {
                    for round in 0..<5 {
                        guard let engine = try? fixture.engine(user: user, thread: "thread-\(round)") else { continue }
                        engines.append(engine)
                        let runs = (0..<4).compactMap { _ in try? engine.startRun(agent: "async-echo") }
                        if let stuck = try? engine.startRun(agent: "controlled") { _ = engine.cancelRun(id: stuck.id) }
                        await Task.yield()
                        _ = fixture.factory.run(id: runs.first?.id ?? "", userID: user)
                        if round % 2 == 0 { _ = fixture.factory.cleanup(engineID: engine.id, userID: user) }
                    }
                }
            }
        }
        for user in users {
            for engine in fixture.factory.engines(userID: user) {
                #expect(fixture.factory.cleanup(engineID: engine.id, userID: user) == .cleaned)
            }
        }
        let metrics = fixture.factory.metrics
        #expect(metrics.activeEnginesCount == 0)
        #expect(metrics.totalEnginesCreated == metrics.totalEnginesCleaned)
        #expect(metrics.totalEnginesCreated == engines.all.count)
        #expect(metrics.cleanupErrors == 0)
        #expect(fixture.factory.slots.totalHeld == 0)
        for engine in engines.all {
            #expect(engine.state == .cleaned)
            #expect(engine.runs.allSatisfy { $0.state.isTerminal })
            #expect(engine.stats.activeRuns == 0 && engine.stats.queuedRuns == 0)
        }
        // Every run had exactly one terminal event.
        var terminals: [String: Int] = [:]
        for event in fixture.sink.events where event.type.isTerminal { terminals[event.executionID, default: 0] += 1 }
        #expect(terminals.values.allSatisfy { $0 == 1 })
        #expect(terminals.count == engines.all.reduce(0) { $0 + $1.stats.totalRuns })
    }

    @Test("no lock is held while an engine is built: a slow build never delays another user")
    func buildsDoNotBlockOthers() async throws {
        final class GatedBuilder: EngineBuilder {
            let gate = Atomic<Bool>(false)
            let entered = Atomic<Bool>(false)
            var isOpen: Bool { gate.load(ordering: .sequentiallyConsistent) }
            var hasEntered: Bool { entered.load(ordering: .sequentiallyConsistent) }
            func buildEngine(_ parts: EngineParts) throws -> UserExecutionEngine {
                if parts.context.userID == "slow" {
                    entered.store(true, ordering: .sequentiallyConsistent)
                    // Bounded wait (≤ 5 s) for the test to open the gate.
                    for _ in 0..<5000 where !gate.load(ordering: .sequentiallyConsistent) { usleep(1000) }
                }
                return UserExecutionEngine(parts: parts)
            }
        }
        let builder = GatedBuilder()
        let clock = ManualClock()
        let policy = ContextPolicy()
        let factory = try ExecutionEngineFactory(eventPublisher: RecordingEventPublisher(), agents: TestAgents(runners: [:]),
                                                 clock: clock, builder: builder, runsBackgroundSweep: false)
        let slowContext = try policy.makeContext(userID: "slow", threadID: "t-1", clock: clock)
        // The gated build blocks its thread: give it one of its own, not a cooperative-pool thread.
        let slow = Task { try await BlockingIO.run { try factory.create(for: slowContext) } }
        for _ in 0..<5000 where !builder.entered.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(1)) }
        #expect(builder.hasEntered)
        // While "slow" is mid-build: other users create, look up, clean up, read metrics.
        let fast = try factory.create(for: policy.makeContext(userID: "fast", threadID: "t-1", clock: clock))
        #expect(factory.metrics.activeEnginesCount == 1)
        #expect(factory.cleanup(engineID: fast.id, userID: "fast") == .cleaned)
        #expect(!builder.isOpen)
        builder.gate.store(true, ordering: .sequentiallyConsistent)
        let slowEngine = try await slow.value
        #expect(slowEngine.context.userID == "slow")
        #expect(factory.metrics.totalEnginesCreated == 2)
    }
}
