import Testing
@testable import ExecutionCore

@Suite("Engine busy policies")
struct EngineBusyTests {
    func fixture(maxQueued: Int = 10) throws -> EngineFixture {
        try EngineFixture(configuration: FactoryConfiguration(engine: EngineConfiguration(maxConcurrentRuns: 3, maxQueuedRuns: maxQueued)))
    }

    @Test("enqueue: a fourth run waits (run_queued) and starts when a slot frees, with its queue wait")
    func enqueue() throws {
        let fixture = try fixture()
        let engine = try fixture.engine()
        let running = try (0..<3).map { _ in try engine.startRun(agent: "controlled") }
        let queued = try engine.startRun(agent: "controlled")
        #expect(queued.state == .queued)
        #expect(fixture.sink.types(executionID: queued.id) == [.runQueued])
        #expect(fixture.sink.events(executionID: queued.id).first?.data["position"] == .integer(1))
        #expect(fixture.controlled.run(queued.id) == nil)
        #expect(engine.stats.queuedRuns == 1)
        fixture.clock.advance(by: .seconds(4))
        fixture.controlled.run(running[1].id)?.output.finish(.completed(result: .null))
        #expect(fixture.sink.types(executionID: queued.id) == [.runQueued, .agentStarted])
        #expect(fixture.controlled.run(queued.id) != nil)
        #expect(engine.run(id: queued.id)?.state == .running)
        #expect(engine.run(id: queued.id)?.queueWait == .seconds(4))
        #expect(engine.stats.maxQueueWait == .seconds(4))
        #expect(engine.stats.queuedRuns == 0)
        #expect(engine.stats.activeRuns == 3)
    }

    @Test("enqueue is refused when the queue is full")
    func queueFull() throws {
        let fixture = try fixture(maxQueued: 2)
        let engine = try fixture.engine()
        for _ in 0..<5 { _ = try engine.startRun(agent: "controlled") }
        #expect(throws: RunRequestError.queueFull(limit: 2)) { try engine.startRun(agent: "controlled") }
        #expect(engine.stats.totalRuns == 5)
    }

    @Test("reject names the active runs and changes nothing")
    func reject() throws {
        let fixture = try fixture()
        let engine = try fixture.engine()
        let running = try (0..<3).map { _ in try engine.startRun(agent: "controlled").id }
        #expect(throws: RunRequestError.busy(activeRunIDs: running)) {
            try engine.startRun(agent: "controlled", ifBusy: .reject)
        }
        #expect(engine.stats.totalRuns == 3)
        // Not busy: reject starts like any run.
        let other = try fixture.engine(user: "bob")
        #expect(try other.startRun(agent: "controlled", ifBusy: .reject).state == .running)
    }

    @Test("interrupt stops the active runs; their slots free only once their agents are gone, and the newcomer goes first")
    func interrupt() throws {
        let fixture = try fixture()
        let engine = try fixture.engine()
        let running = try (0..<3).map { _ in try engine.startRun(agent: "controlled").id }
        let queued = try engine.startRun(agent: "controlled")
        let newcomer = try engine.startRun(agent: "controlled", ifBusy: .interrupt)
        // Every active agent is told to stop, but none is gone yet: the newcomer waits at the
        // head of the queue, and nothing new was started.
        #expect(newcomer.state == .queued)
        #expect(fixture.sink.events(executionID: newcomer.id).first?.data["position"] == .integer(1))
        #expect(fixture.controlled.run(newcomer.id) == nil)
        for id in running {
            #expect(engine.run(id: id)?.state == .cancelling)
            #expect(fixture.controlled.run(id)?.handle.cancelCount == 1)
        }
        #expect(engine.stats.activeRuns == 3)

        // A second interrupt while the first still waits supersedes it.
        let second = try engine.startRun(agent: "controlled", ifBusy: .interrupt)
        #expect(engine.run(id: newcomer.id)?.state == .cancelled)
        #expect(engine.run(id: newcomer.id)?.reason == "interrupted")
        #expect(fixture.controlled.run(newcomer.id) == nil, "a superseded interrupter never starts")
        #expect(second.state == .queued)

        // The first agent gone frees one slot: the interrupter takes it, ahead of the queue.
        fixture.controlled.run(running[0])?.output.finish(.failed(kind: "crashed", message: "SIGTERM"))
        #expect(engine.run(id: running[0])?.state == .cancelled)
        #expect(engine.run(id: running[0])?.reason == "interrupted")
        #expect(fixture.sink.events(executionID: running[0]).last?.data["reason"] == .string("interrupted"))
        #expect(engine.run(id: second.id)?.state == .running)
        #expect(engine.run(id: queued.id)?.state == .queued)
        // The others gone: the queued run gets a slot too.
        for id in running.dropFirst() { fixture.controlled.run(id)?.output.finish(.completed(result: .null)) }
        #expect(engine.run(id: queued.id)?.state == .running)
        #expect(engine.stats.activeRuns == 2)
        #expect(engine.stats.cancelledRuns == 4)
    }

    @Test("a queued run can be cancelled; it never starts")
    func cancelQueued() throws {
        let fixture = try fixture()
        let engine = try fixture.engine()
        let running = try (0..<3).map { _ in try engine.startRun(agent: "controlled").id }
        let queued = try engine.startRun(agent: "controlled")
        guard case .cancelled(let record) = engine.cancelRun(id: queued.id) else {
            Issue.record("expected cancelled")
            return
        }
        #expect(record.state == .cancelled)
        #expect(record.startedAt == nil)
        #expect(fixture.sink.types(executionID: queued.id) == [.runQueued, .runCancelled])
        fixture.controlled.run(running[0])?.output.finish(.completed(result: .null))
        #expect(fixture.controlled.run(queued.id) == nil)
        #expect(engine.stats.queuedRuns == 0)
    }
}
