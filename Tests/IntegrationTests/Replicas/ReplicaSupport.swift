#if canImport(Glibc)
import Glibc
#endif
import IsolationdTesting
import PostgresTesting
import Testing

/// Replicas of the real binary over one throw-away PostgreSQL database (issue 13): the cluster
/// comes from `PostgresTestCluster` (started for the test run, or `ISOLATIOND_TEST_DATABASE_URL`);
/// each suite makes a database of its own and migrates it with the binary's `migrate`.
enum ReplicaSupport {
    /// Whether PostgreSQL can be had, decided without starting it: the trait is evaluated on
    /// Swift's cooperative pool, which a blocking cluster start would stall for every suite.
    static let available: Bool = {
        let possible = getenv("ISOLATIOND_TEST_DATABASE_URL") != nil || PostgresTestCluster.canLaunch
        if !possible {
            print("note: PostgreSQL replica suites skipped: no PostgreSQL server binaries (apt-get install postgresql) and no ISOLATIOND_TEST_DATABASE_URL")
        }
        return possible
    }()

    /// Whether a cluster of a test's own can be launched (for the outage test).
    static let canLaunch: Bool = {
        if !PostgresTestCluster.canLaunch {
            print("note: the database outage suite skipped: no PostgreSQL server binaries to launch a cluster of its own (apt-get install postgresql)")
        }
        return PostgresTestCluster.canLaunch
    }()

    /// The shared cluster, started (on a thread of its own) by the first suite that asks.
    static func sharedCluster() async throws -> PostgresTestCluster {
        try await BlockingIO.run { () throws -> PostgresTestCluster in
            guard let cluster = PostgresTestCluster.shared() else { throw StartFailure(description: "no PostgreSQL for the tests") }
            return cluster
        }
    }

    /// A cluster of the caller's own (it may stop and start it).
    static func launchCluster() async throws -> PostgresTestCluster {
        try await BlockingIO.run { try PostgresTestCluster.launch() }
    }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// A fresh database (on a thread of its own).
    static func freshDatabase(on cluster: PostgresTestCluster? = nil) async throws -> String {
        let chosen: PostgresTestCluster
        if let cluster { chosen = cluster } else { chosen = try await sharedCluster() }
        return try await BlockingIO.run { try chosen.makeDatabase() }
    }

    /// A fresh database, migrated by `isolationd migrate`.
    static func migratedDatabase(on cluster: PostgresTestCluster? = nil) async throws -> String {
        let url = try await freshDatabase(on: cluster)
        let outcome = try await migrate(url: url)
        try #require(outcome.status == 0, "migrate: \(outcome.stderr)")
        return url
    }

    /// Runs `isolationd migrate` against `url` with the shipped configuration.
    static func migrate(url: String) async throws -> CommandResult {
        try await ExternalCommand.runDetached(["env", "ISOLATIOND_DATABASE__URL=" + url, BinaryServer.locateBinary(), "migrate",
                                               "--config", APITestConfiguration.packageRoot + "/config/isolationd.json"],
                                              timeout: .seconds(60))
    }

    /// The integration configuration with a database section (`lease_seconds` short for the
    /// kill -9 test).
    static func configuration(users: [TestUser], url: String, leaseSeconds: Double = 15, enginesPerUser: Int = 2) -> String {
        APITestConfiguration.json(users: users, enginesPerUser: enginesPerUser,
                                  extraSections: #", "database": {"url": "\#(url)", "lease_seconds": \#(leaseSeconds), "pool_size": 2}"#)
    }

    static func startReplica(users: [TestUser], url: String, leaseSeconds: Double = 15, enginesPerUser: Int = 2) async throws -> BinaryServer {
        try await BinaryServer.start(configuration: configuration(users: users, url: url, leaseSeconds: leaseSeconds,
                                                                  enginesPerUser: enginesPerUser))
    }
}

// MARK: - Events across replicas (issue 13, part 2)

/// What the cross-replica event tests read and check: a user's SSE stream on one replica,
/// collected within a deadline, and the id sequence it delivered.
enum ReplicaEvents {
    /// The event types of an `echo` run that was not queued, in order.
    static let echoRun = ["agent_started", "agent_thinking", "agent_completed"]
    static let terminalTypes: Set<String> = ["agent_completed", "agent_error", "run_cancelled", "run_timed_out"]

    /// `GET /v1/events` for `user` on `replica` (live only, or from `lastEventID`); 200 expected.
    /// Each read waits at most `readTimeout`, so a stalled stream cannot hang a test.
    static func open(_ replica: BinaryServer, _ user: TestUser, lastEventID: UInt64? = nil,
                     path: String = "/v1/events", readTimeout: Duration = .seconds(8)) async throws -> SSEClient {
        let stream = try await SSEClient.connect(port: replica.port, path: path, token: user.key,
                                                 lastEventID: lastEventID.map(String.init), timeout: readTimeout)
        if stream.status != 200 {
            let body = (try? await stream.errorBody()) ?? ""
            stream.close()
            try #require(stream.status == 200, "\(path) on :\(replica.port): \(stream.status) \(body)")
        }
        return stream
    }

    /// The next `count` events (notices included, so a `gap` or `error` shows), fewer when the
    /// stream ends, a read times out or `within` passes first (the caller's count check fails).
    static func collect(_ stream: SSEClient, count: Int, within: Duration = .seconds(15)) async -> [SSEEvent] {
        let deadline = ContinuousClock.now + within
        var events: [SSEEvent] = []
        while events.count < count, ContinuousClock.now < deadline {
            guard let event = try? await stream.nextEvent() else { break }
            events.append(event)
        }
        return events
    }

    /// Every event up to the end of a stream that ends by itself (a run's stream), bounded.
    static func untilEnd(_ stream: SSEClient, limit: Int = 1_000) async -> [SSEEvent] {
        await collect(stream, count: limit, within: .seconds(20))
    }

    /// What is wrong with a stream's id sequence: a missing id, a repeated one, one out of order
    /// or an event without an id. Empty when the ids are strictly increasing, and (when
    /// `contiguous`) each exactly one above the one before.
    static func sequenceProblems(_ events: [SSEEvent], contiguous: Bool) -> [String] {
        var problems: [String] = []
        var previous: UInt64?
        var seen = Set<UInt64>()
        for (index, event) in events.enumerated() {
            guard let id = event.numericID else {
                problems.append("event \(index) (\(event.event)) has no numeric id: \(event.data.prefix(200))")
                continue
            }
            if !seen.insert(id).inserted { problems.append("id \(id) delivered twice (at \(index))") }
            if let previous {
                if id <= previous { problems.append("id \(id) after \(previous) (at \(index))") }
                else if contiguous, id != previous + 1 { problems.append("ids \(previous + 1)...\(id - 1) missing (before \(index))") }
            }
            previous = id
        }
        return problems
    }

    /// The run (`execution_id`) of an event.
    static func runID(_ event: SSEEvent) -> String? { event.json?["execution_id"]?.stringValue }

    /// The event types of `run` in delivery order.
    static func types(of run: String, in events: [SSEEvent]) -> [String] {
        events.filter { runID($0) == run }.map(\.event)
    }

    /// Runs `count` echo runs on `engineID`, one after another (each polled on the same replica
    /// until its record is terminal, so none is queued); returns their ids. Polled rather than
    /// followed through the run's stream, so that these runs do not depend on that stream (which
    /// `ReplicaRunRecordTests` checks on its own).
    static func echoRuns(_ client: APIClient, engineID: String, count: Int, tag: String) async throws -> [String] {
        var runs: [String] = []
        for index in 0..<count {
            let run = try await client.startRun(engineID: engineID, agent: "echo", input: #"{"tag": "\#(tag)-\#(index)"}"#)
            let deadline = ContinuousClock.now + .seconds(10)
            var state: String?
            while ContinuousClock.now < deadline {
                state = try await client.call("GET", "/v1/runs/\(run)").string("state")
                if state == "completed" { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            try #require(state == "completed", "run \(run) (\(tag)): \(state ?? "no state") after 10 s")
            runs.append(run)
        }
        return runs
    }

    /// The replicas' own output holds no sanitizer report and no crash (under `swift test
    /// --sanitize=thread` the binaries are instrumented too, and their reports go to their logs).
    static func expectCleanOutput(_ replicas: BinaryServer...) {
        for replica in replicas {
            let output = replica.output
            for marker in ["ThreadSanitizer", "AddressSanitizer", "Fatal error", "fatal error"] {
                #expect(!output.contains(marker), "replica :\(replica.port) logged \(marker): \(output.suffix(4_000))")
            }
        }
    }
}
