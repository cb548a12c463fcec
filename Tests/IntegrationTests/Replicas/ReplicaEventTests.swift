import ExecutionCore
import IsolationdTesting
import Testing

/// Event streams across replicas (issue 13, item 4): a user's stream on one replica receives
/// the events of runs on the other, in one per-user id sequence that both replicas number
/// (strictly increasing, no gap, no duplicate), and nothing of another user's.
@Suite("Replicas on PostgreSQL: event streams", .enabled(if: ReplicaSupport.available), .serialized)
struct ReplicaEventTests {
    @Test("a stream on B receives every event of runs on A, in id order, once; another user's stream on B none of them")
    func streamAcrossReplicas() async throws {
        let url = try await ReplicaSupport.migratedDatabase()
        let users = APITestConfiguration.users(2)
        let a = try await ReplicaSupport.startReplica(users: users, url: url)
        let b = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { await a.stop(); await b.stop() } }
        let watcher = try await ReplicaEvents.open(b, users[0])
        let bystander = try await ReplicaEvents.open(b, users[1])
        defer { watcher.close(); bystander.close() }

        let onA = a.client(users[0])
        let engine = try await onA.createEngine(contextID: onA.createContext(thread: "xrep-stream"))
        let runs = try await ReplicaEvents.echoRuns(onA, engineID: engine, count: 6, tag: "a")
        let expected = runs.count * ReplicaEvents.echoRun.count

        let seen = await ReplicaEvents.collect(watcher, count: expected)
        #expect(seen.count == expected, "B's stream got \(seen.count) of \(expected) events: \(seen.map(\.event))")
        #expect(ReplicaEvents.sequenceProblems(seen, contiguous: true).isEmpty,
                "\(ReplicaEvents.sequenceProblems(seen, contiguous: true))")
        // A fresh database: the user's ids begin at 1.
        #expect(seen.first?.numericID == 1)
        #expect(seen.map { ReplicaEvents.runID($0) } == runs.flatMap { run in Array(repeating: run, count: 3) },
                "runs out of order or interleaved: \(seen.map { ReplicaEvents.runID($0) ?? "?" })")
        for run in runs {
            #expect(ReplicaEvents.types(of: run, in: seen) == ReplicaEvents.echoRun)
        }
        #expect(seen.allSatisfy { $0.json?["user_id"]?.stringValue == users[0].id })

        // The same events replayed from the journal on B (Last-Event-ID 0), byte for byte.
        let replay = try await ReplicaEvents.open(b, users[0], lastEventID: 0)
        defer { replay.close() }
        let replayed = await ReplicaEvents.collect(replay, count: expected)
        #expect(replayed == seen)

        // The other user's stream on B: its first event is the first of its own run (started on
        // A after all of the first user's), so nothing of the first user's came before it.
        let otherOnA = a.client(users[1])
        let otherEngine = try await otherOnA.createEngine(contextID: otherOnA.createContext(thread: "xrep-other"))
        let otherRun = try await ReplicaEvents.echoRuns(otherOnA, engineID: otherEngine, count: 1, tag: "other")[0]
        let theirs = await ReplicaEvents.collect(bystander, count: 3)
        #expect(theirs.map { ReplicaEvents.runID($0) } == [otherRun, otherRun, otherRun], "\(theirs.map(\.data))")
        #expect(theirs.map(\.numericID) == [1, 2, 3], "the second user's ids are their own")
        #expect(theirs.allSatisfy { $0.json?["user_id"]?.stringValue == users[1].id })
        // And the first user's stream did not get the other user's run.
        let marker = try await ReplicaEvents.echoRuns(onA, engineID: engine, count: 1, tag: "marker")[0]
        let next = await ReplicaEvents.collect(watcher, count: 3)
        #expect(next.map { ReplicaEvents.runID($0) } == [marker, marker, marker], "\(next.map(\.data))")
        #expect(next.map(\.numericID) == [UInt64(expected + 1), UInt64(expected + 2), UInt64(expected + 3)])
        ReplicaEvents.expectCleanOutput(a, b)
    }

    @Test("runs of one user on A and on B at once: one id sequence without gap or duplicate, the same on both replicas")
    func idsAcrossReplicas() async throws {
        let url = try await ReplicaSupport.migratedDatabase()
        let users = APITestConfiguration.users(1)
        let a = try await ReplicaSupport.startReplica(users: users, url: url)
        let b = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { await a.stop(); await b.stop() } }
        let onA = a.client(users[0])
        let onB = b.client(users[0])
        let engineA = try await onA.createEngine(contextID: onA.createContext(thread: "xrep-ids-a"))
        let engineB = try await onB.createEngine(contextID: onB.createContext(thread: "xrep-ids-b"))
        let watchers = [try await ReplicaEvents.open(a, users[0]), try await ReplicaEvents.open(b, users[0])]
        defer { watchers.forEach { $0.close() } }

        let perReplica = 10
        async let runsA = ReplicaEvents.echoRuns(onA, engineID: engineA, count: perReplica, tag: "a")
        async let runsB = ReplicaEvents.echoRuns(onB, engineID: engineB, count: perReplica, tag: "b")
        let (fromA, fromB) = try await (runsA, runsB)
        let allRuns = fromA + fromB
        // Every run ended with one terminal event: three events each.
        let expected = allRuns.count * ReplicaEvents.echoRun.count

        var sequences: [[SSEEvent]] = []
        for (name, watcher) in zip(["A", "B"], watchers) {
            let seen = await ReplicaEvents.collect(watcher, count: expected)
            #expect(seen.count == expected, "\(name)'s stream got \(seen.count) of \(expected)")
            let problems = ReplicaEvents.sequenceProblems(seen, contiguous: true)
            #expect(problems.isEmpty, "\(name): \(problems)")
            #expect(seen.first?.numericID == 1, "\(name) began at \(seen.first?.id ?? "nothing")")
            for run in allRuns {
                #expect(ReplicaEvents.types(of: run, in: seen) == ReplicaEvents.echoRun, "\(name), run \(run)")
            }
            #expect(seen.filter { ReplicaEvents.terminalTypes.contains($0.event) }.count == allRuns.count)
            sequences.append(seen)
        }
        // Both replicas delivered the same events under the same ids, in the same order.
        #expect(sequences[0].map(\.id) == sequences[1].map(\.id))
        #expect(sequences[0] == sequences[1])
        // Both replicas' runs are in it, interleaved or not.
        let runsSeen = Set(sequences[0].compactMap { ReplicaEvents.runID($0) })
        #expect(runsSeen == Set(allRuns))
        ReplicaEvents.expectCleanOutput(a, b)
    }

    @Test("a live stream (no Last-Event-ID) opened just before a run gets that run's first event, on the run's replica and on the other")
    func liveStreamFromItsOpening() async throws {
        let url = try await ReplicaSupport.migratedDatabase()
        let users = APITestConfiguration.users(1)
        let a = try await ReplicaSupport.startReplica(users: users, url: url)
        let b = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { await a.stop(); await b.stop() } }
        let onB = b.client(users[0])
        let engine = try await onB.createEngine(contextID: onB.createContext(thread: "xrep-live"))
        // Each round: a fresh live stream on each replica (its 200 is answered once it is
        // subscribed), then a run on B; both streams must begin with that run's first event.
        var wrong: [String] = []
        for round in 0..<25 {
            let streams = [try await ReplicaEvents.open(b, users[0]), try await ReplicaEvents.open(a, users[0])]
            defer { streams.forEach { $0.close() } }
            let run = try await ReplicaEvents.echoRuns(onB, engineID: engine, count: 1, tag: "live-\(round)")[0]
            for (name, stream) in zip(["B (the run's)", "A (the other)"], streams) {
                let events = await ReplicaEvents.collect(stream, count: 3)
                let expected = (1...3).map { UInt64(round * 3 + $0) }
                if events.map(\.event) != ReplicaEvents.echoRun || events.map(\.numericID) != expected.map(Optional.init)
                    || !events.allSatisfy({ ReplicaEvents.runID($0) == run }) {
                    wrong.append("round \(round), \(name): " + events.map { "\($0.id ?? "-") \($0.event)" }.joined(separator: ", "))
                }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) of 50 live streams missed or misordered their run's events: \(wrong)")
        ReplicaEvents.expectCleanOutput(a, b)
    }
}
