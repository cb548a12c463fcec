import Testing
@testable import ExecutionCore

@Suite("Runs found by id through the factory's index")
struct RunIndexTests {
    @Test("a run is found by id among many engines and users; another user's run is not found")
    func findsAcrossEngines() throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(maxEnginesPerUser: 50))
        var runs: [(user: String, engine: String, run: String)] = []
        for user in ["alice", "bob"] {
            for thread in 0..<20 {
                let engine = try fixture.engine(user: user, thread: "thread-\(thread)")
                for _ in 0..<3 { runs.append((user, engine.id, try engine.startRun(agent: "sync-echo").id)) }
            }
        }
        #expect(fixture.factory.indexedRunCount == runs.count)
        for (user, engineID, runID) in runs {
            #expect(fixture.factory.run(id: runID, userID: user)?.engineID == engineID)
            #expect(fixture.factory.engine(holdingRun: runID, userID: user)?.id == engineID)
            let other = user == "alice" ? "bob" : "alice"
            #expect(fixture.factory.run(id: runID, userID: other) == nil)
            #expect(fixture.factory.cancelRun(id: runID, userID: other) == .notFound)
        }
        #expect(fixture.factory.run(id: "no-such-run", userID: "alice") == nil)
    }

    @Test("runs pushed out of an engine's history leave the index; those kept are still found")
    func historyEvictionLeavesIndex() throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(engine: EngineConfiguration(historySize: 5)))
        let engine = try fixture.engine()
        var ids: [String] = []
        for index in 0..<40 { ids.append(try engine.startRun(agent: "sync-echo", input: .integer(Int64(index))).id) }
        #expect(fixture.factory.indexedRunCount == 5)
        for id in ids.prefix(35) { #expect(fixture.factory.run(id: id, userID: "alice") == nil) }
        for (offset, id) in ids.suffix(5).enumerated() {
            #expect(fixture.factory.run(id: id, userID: "alice")?.result == .integer(Int64(35 + offset)))
        }
    }

    @Test("cleaning an engine forgets its runs, live ones included")
    func cleanupForgetsRuns() throws {
        let fixture = try EngineFixture()
        let engine = try fixture.engine()
        let finished = try engine.startRun(agent: "sync-echo").id
        let live = try engine.startRun(agent: "controlled").id
        #expect(fixture.factory.run(id: live, userID: "alice")?.state == .running)
        #expect(fixture.factory.cleanup(engineID: engine.id, userID: "alice") == .cleaned)
        #expect(fixture.factory.indexedRunCount == 0)
        #expect(fixture.factory.run(id: finished, userID: "alice") == nil)
        #expect(fixture.factory.run(id: live, userID: "alice") == nil)
    }

    @Test("history lookups by id agree with a scan of the ring after it wraps many times")
    func historyLookupMatchesScan() {
        var history = RunHistory(capacity: 7)
        var all: [RunSnapshot] = []
        for index in 0..<50 {
            let snapshot = RunSnapshot(id: "run-\(index)", engineID: "e", userID: "u", threadID: "t", runID: "r",
                                       agent: "echo", state: .completed, reason: nil, errorMessage: nil,
                                       result: .integer(Int64(index)), createdAt: Timestamp(nanoseconds: 0),
                                       startedAt: nil, endedAt: nil)
            let evicted = history.append(snapshot)
            #expect(evicted == (index >= 7 ? "run-\(index - 7)" : nil))
            all.append(snapshot)
        }
        #expect(history.ordered.map(\.id) == all.suffix(7).map(\.id))
        for snapshot in all { #expect(history.find(snapshot.id)?.id == history.ordered.first { $0.id == snapshot.id }?.id) }
        #expect(Set(history.ids) == Set(all.suffix(7).map(\.id)))
    }
}
