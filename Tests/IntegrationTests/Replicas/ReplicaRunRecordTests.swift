#if canImport(Glibc)
import Glibc
#endif
import ExecutionCore
import IsolationdTesting
import Testing

/// Run records across replicas (issue 13, item 4): a run that ran on A is read, and replayed as
/// events, on B, after it ended and after A stopped; another user gets 404. A replica killed with
/// -9 has its live run ended `replica_lost` by the other within the lease, with exactly one
/// terminal event, and its slot given back.
@Suite("Replicas on PostgreSQL: run records and replica_lost", .enabled(if: ReplicaSupport.available), .serialized)
struct ReplicaRunRecordTests {
    /// The members of a run record that every replica must show alike.
    static let sharedMembers = ["id", "engine_id", "user_id", "thread_id", "run_id", "agent", "state", "reason", "result"]

    @Test("a run of A read on B (record and event stream) after it ended and after A stopped; another user 404")
    func runRecordFromAnyReplica() async throws {
        let url = try await ReplicaSupport.migratedDatabase()
        let users = APITestConfiguration.users(2)
        var a: BinaryServer? = try await ReplicaSupport.startReplica(users: users, url: url)
        let b = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { [a] in await a?.stop(); await b.stop() } }
        let onA = try #require(a).client(users[0])
        let onB = b.client(users[0])
        let engine = try await onA.createEngine(contextID: onA.createContext(thread: "record-thread"))
        let completed = try await ReplicaEvents.echoRuns(onA, engineID: engine, count: 1, tag: "record")[0]
        // A run that fails: the sleep agent refuses a negative time (agent_error, kind bad_input).
        let failed = try await onA.startRun(engineID: engine, agent: "sleep", input: #"{"seconds": -1}"#)
        #expect(try await onA.waitForTerminalRun(failed).string("state") == "failed")
        let recordOnA = try await onA.call("GET", "/v1/runs/\(completed)")
        #expect(recordOnA.status == 200)
        let eventsOnA = await Self.runStream(try #require(a), users[0], completed)
        #expect(eventsOnA.map(\.event) == ReplicaEvents.echoRun, "on A: \(eventsOnA.map { "\($0.id ?? "-") \($0.event) \($0.id == nil ? $0.data : "")" })")

        for moment in ["after it ended", "after A stopped"] {
            if moment == "after A stopped" {
                #expect(await a?.stop() == 0)
                a = nil
            }
            let record = try await onB.call("GET", "/v1/runs/\(completed)")
            #expect(record.status == 200, "\(moment): \(record.text)")
            #expect(record.string("state") == "completed", "\(moment)")
            #expect(record.json?["result"]?["echo"]?["tag"]?.stringValue == "record-0", "\(moment): \(record.text)")
            #expect(record.string("engine_id") == engine)
            #expect(record.json?["ended_at"]?.stringValue != nil, "\(moment): \(record.text)")
            for member in Self.sharedMembers {
                #expect(record.json?[member] == recordOnA.json?[member], "\(moment): \(member) on B \(record.text) / on A \(recordOnA.text)")
            }
            let failure = try await onB.call("GET", "/v1/runs/\(failed)")
            #expect(failure.status == 200)
            #expect(failure.string("state") == "failed", "\(moment): \(failure.text)")
            #expect(failure.string("reason") == "bad_input", "\(moment): \(failure.text)")

            // The run's stream on B replays it from its start and ends after its terminal event.
            let replayed = await Self.runStream(b, users[0], completed)
            #expect(replayed.map(\.event) == ReplicaEvents.echoRun, "\(moment): \(replayed.map { "\($0.id ?? "-") \($0.event)" })")
            // The user's first run on a fresh database: ids 1...3, the same events A had.
            #expect(replayed.map(\.numericID) == [1, 2, 3])
            #expect(replayed.allSatisfy { ReplicaEvents.runID($0) == completed })
            #expect(await Self.runStream(b, users[0], failed).map(\.event) == ["agent_started", "agent_error"])

            // Another user: 404 for the record and for its stream.
            let other = b.client(users[1])
            #expect(try await other.call("GET", "/v1/runs/\(completed)").status == 404, "\(moment)")
            let foreign = try await SSEClient.connect(port: b.port, path: "/v1/runs/\(completed)/events", token: users[1].key)
            #expect(foreign.status == 404, "\(moment)")
            foreign.close()
        }
        #expect(try await onB.call("GET", "/v1/runs/run_doesnotexist000000").status == 404)
        ReplicaEvents.expectCleanOutput(b)
    }

    @Test("kill -9 of A: a stream on B gets exactly one agent_error replica_lost for A's live run within the lease; record failed; slot free")
    func killedReplicaEndsItsRuns() async throws {
        let url = try await ReplicaSupport.migratedDatabase()
        let users = APITestConfiguration.users(1)
        let a = try await ReplicaSupport.startReplica(users: users, url: url, leaseSeconds: 2)
        let b = try await ReplicaSupport.startReplica(users: users, url: url, leaseSeconds: 2)
        defer { Task { await a.stop(); await b.stop() } }
        let onA = a.client(users[0])
        let onB = b.client(users[0])
        let watcher = try await ReplicaEvents.open(b, users[0])
        defer { watcher.close() }
        let engineA = try await onA.createEngine(contextID: onA.createContext(thread: "doomed"))
        let engineB = try await onB.createEngine(contextID: onB.createContext(thread: "survivor"))
        let spare = try await onB.createContext(thread: "spare")
        #expect(try await onB.call("POST", "/v1/engines", json: #"{"context_id": "\#(spare)"}"#).status == 429)

        // A slow run on A, seen running from B.
        let run = try await onA.startRun(engineID: engineA, agent: "sleep", input: #"{"seconds": 120}"#)
        let live = await ReplicaEvents.collect(watcher, count: 2)
        #expect(live.map(\.event) == ["agent_started", "agent_thinking"])
        #expect(live.allSatisfy { ReplicaEvents.runID($0) == run })
        // The run's own stream on B, opened while it runs on A: it must end with the run.
        let runStreamOnB = try await ReplicaEvents.open(b, users[0], path: "/v1/runs/\(run)/events")
        defer { runStreamOnB.close() }

        let killedAt = ContinuousClock.now
        _ = await a.stop(signal: SIGKILL)
        let ending = await ReplicaEvents.collect(watcher, count: 1, within: .seconds(10))
        let waited = ContinuousClock.now - killedAt
        let terminal = try #require(ending.first, "no event on B within 10 s of the kill")
        #expect(terminal.event == "agent_error", "\(terminal.event): \(terminal.data)")
        #expect(ReplicaEvents.runID(terminal) == run)
        #expect(terminal.json?["data"]?["kind"]?.stringValue == "replica_lost", "\(terminal.data)")
        #expect(terminal.numericID == 3)
        // The lease is 2 s; slack for the checks' pace and a loaded machine, as in ReplicaQuotaTests.
        #expect(waited < .seconds(4), "replica_lost after \(waited)")

        let runEvents = await ReplicaEvents.untilEnd(runStreamOnB)
        #expect(runEvents.map(\.event) == ["agent_started", "agent_thinking", "agent_error"], "\(runEvents.map { "\($0.id ?? "-") \($0.event)" })")
        #expect(runEvents.last?.json?["data"]?["kind"]?.stringValue == "replica_lost")

        let record = try await onB.call("GET", "/v1/runs/\(run)")
        #expect(record.status == 200)
        #expect(record.string("state") == "failed", "\(record.text)")
        #expect(record.string("reason") == "replica_lost", "\(record.text)")
        // The dead replica's slot is free: the user's second engine fits again.
        var created = false
        while !created, ContinuousClock.now - killedAt < .seconds(6) {
            created = try await onB.call("POST", "/v1/engines", json: #"{"context_id": "\#(spare)"}"#).status == 201
            if !created { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(created, "the killed replica's slot was not released")

        // Exactly one terminal event: after two more lease intervals, the next event on the
        // stream is a new run's (id 4), and the journal holds one terminal event for the run.
        try await Task.sleep(for: .seconds(4))
        let marker = try await ReplicaEvents.echoRuns(onB, engineID: engineB, count: 1, tag: "after-kill")[0]
        let next = await ReplicaEvents.collect(watcher, count: 3)
        #expect(next.map(\.numericID) == [4, 5, 6], "\(next.map { "\($0.id ?? "-") \($0.event)" })")
        #expect(next.allSatisfy { ReplicaEvents.runID($0) == marker })
        let replay = try await ReplicaEvents.open(b, users[0], lastEventID: 0)
        defer { replay.close() }
        let all = await ReplicaEvents.collect(replay, count: 6)
        #expect(ReplicaEvents.sequenceProblems(all, contiguous: true).isEmpty)
        #expect(ReplicaEvents.types(of: run, in: all) == ["agent_started", "agent_thinking", "agent_error"])
        #expect(await Self.runStream(b, users[0], run).map(\.event) == ["agent_started", "agent_thinking", "agent_error"])
        ReplicaEvents.expectCleanOutput(a, b)
    }

    @Test("a run's stream opened on its replica just after the run was started replays it whole and ends after its terminal event")
    func runStreamOfAFreshRun() async throws {
        let url = try await ReplicaSupport.migratedDatabase()
        let users = APITestConfiguration.users(1)
        let a = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { await a.stop() } }
        let onA = a.client(users[0])
        let engine = try await onA.createEngine(contextID: onA.createContext(thread: "fresh-run-streams"))
        // The echo run ends within microseconds, usually before its events are journaled: the
        // stream opens while the run is live, just ended, or ended and journaled.
        var wrong: [String] = []
        for index in 0..<20 {
            let run = try await onA.startRun(engineID: engine, agent: "echo", input: #"{"n": \#(index)}"#)
            let events = await Self.runStream(a, users[0], run)
            if events.map(\.event) != ReplicaEvents.echoRun || !events.allSatisfy({ ReplicaEvents.runID($0) == run }) {
                wrong.append("run \(index): " + events.map { "\($0.id ?? "-") \($0.event) \($0.id == nil ? $0.data : "")" }.joined(separator: ", "))
            }
            _ = try await onA.waitForTerminalRun(run)
        }
        #expect(wrong.isEmpty, "\(wrong.count) of 20 run streams were not [agent_started, agent_thinking, agent_completed]: \(wrong)")
        ReplicaEvents.expectCleanOutput(a)
    }

    /// `GET /v1/runs/{id}/events` to its end (it ends after the run's terminal event).
    static func runStream(_ replica: BinaryServer, _ user: TestUser, _ run: String) async -> [SSEEvent] {
        guard let stream = try? await ReplicaEvents.open(replica, user, path: "/v1/runs/\(run)/events") else { return [] }
        defer { stream.close() }
        return await ReplicaEvents.untilEnd(stream)
    }
}
