import IsolationdTesting
import Testing

/// Budgets of retained bytes through the real binary: a user past their budget gets 429
/// `budget-exceeded` (with Retry-After, budget_bytes, used_bytes) while another user goes on;
/// deleting frees the budget; `GET /v1/usage` shows it; the global budget answers 503.
@Suite("Budgets of retained bytes (real binary)")
struct BudgetBinaryTests {
    /// A context whose `agent_context` carries `bytes` of text: charged a little more than that.
    static func bigContext(_ thread: String, bytes: Int = 60_000) -> String {
        #"{"thread_id": "\#(thread)", "agent_context": {"notes": "\#(String(repeating: "n", count: bytes))"}}"#
    }

    static func start(perUser: Int, global: Int, users: [TestUser]) async throws -> BinaryServer {
        try await BinaryServer.start(configuration: APITestConfiguration.json(
            users: users, extraSections: #", "budgets": {"per_user_bytes": \#(perUser), "global_bytes": \#(global)}"#))
    }

    @Test("past the user's budget: 429 budget-exceeded naming what to delete; another user succeeds; a delete frees it; /v1/usage follows")
    func userBudget() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await Self.start(perUser: 200_000, global: 10_000_000, users: users)
        defer { Task { await server.stop() } }
        let (alice, bob) = (server.client(users[0]), server.client(users[1]))

        var kept: [String] = []
        for index in 0..<3 {
            let answer = try await alice.call("POST", "/v1/contexts", json: Self.bigContext("thread-\(index)"))
            #expect(answer.status == 201, "\(answer.text)")
            if let id = answer.string("id") { kept.append(id) }
        }
        let refused = try await alice.call("POST", "/v1/contexts", json: Self.bigContext("thread-over"))
        #expect(refused.status == 429)
        #expect(refused.contentType?.hasPrefix("application/problem+json") == true)
        #expect(refused.string("type") == "urn:isolationd:problem:budget-exceeded")
        #expect(refused.header("Retry-After").flatMap { Int($0) }.map { $0 >= 1 } == true)
        #expect(refused.json?["budget_bytes"]?.int64Value == 200_000)
        let used = try #require(refused.json?["used_bytes"]?.int64Value)
        #expect(used > 180_000 && used <= 200_000)
        #expect(refused.string("detail")?.contains("delete contexts or engines") == true)

        // Another user is not held to alice's budget.
        #expect(try await bob.call("POST", "/v1/contexts", json: Self.bigContext("bob-thread")).status == 201)

        let usage = try await alice.call("GET", "/v1/usage")
        #expect(usage.status == 200)
        #expect(usage.json?["used_bytes"]?.int64Value == used)
        #expect(usage.json?["budget_bytes"]?.int64Value == 200_000)
        #expect(usage.json?["categories"]?["contexts"]?["count"]?.int64Value == 3)
        #expect(usage.json?["global_budget_bytes"]?.int64Value == 10_000_000)

        // Deleting a context gives its bytes back: the same request now succeeds.
        #expect(try await alice.call("DELETE", "/v1/contexts/\(kept[0])").status == 204)
        let after = try await alice.call("GET", "/v1/usage")
        #expect((after.json?["used_bytes"]?.int64Value ?? .max) < used - 60_000)
        #expect(try await alice.call("POST", "/v1/contexts", json: Self.bigContext("thread-over")).status == 201)

        let metrics = try await server.client(nil).call("GET", "/metrics", authenticated: false)
        #expect(metrics.text.contains(#"isolationd_budget_refusals_total{scope="user"} 1"#))
        #expect(metrics.text.contains("isolationd_budget_per_user_bytes 200000"))
        #expect(metrics.text.contains(#"isolationd_budget_retained_bytes{category="contexts"}"#))
        #expect(!metrics.text.contains(users[0].id), "no metric names a user")
    }

    @Test("runs: inputs and results count; past the budget a run is 429, and deleting the engine frees its history")
    func runBudget() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await Self.start(perUser: 300_000, global: 10_000_000, users: users)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])
        let engine = try await alice.createEngine(contextID: try await alice.createContext(thread: "thread-runs"))
        let input = #"{"blob": "\#(String(repeating: "r", count: 150_000))"}"#
        let first = try await alice.startRun(engineID: engine, agent: "echo", input: input)
        #expect(try await alice.waitForTerminalRun(first).string("state") == "completed")
        // The result in history holds ~150 KB; the replay ring its events (their long strings
        // cut by the sanitizer, so much less).
        let usage = try await alice.call("GET", "/v1/usage")
        #expect((usage.json?["categories"]?["runs"]?["bytes"]?.int64Value ?? 0) > 150_000)
        #expect((usage.json?["categories"]?["events"]?["count"]?.int64Value ?? 0) >= 2)
        #expect((usage.json?["categories"]?["events"]?["bytes"]?.int64Value ?? 0) > 0)

        let refused = try await alice.call("POST", "/v1/engines/\(engine)/runs", json: #"{"agent": "echo", "input": \#(input)}"#)
        #expect(refused.status == 429)
        #expect(refused.string("type") == "urn:isolationd:problem:budget-exceeded")
        #expect(refused.header("Retry-After") != nil)

        // Another user runs the same thing.
        let bob = server.client(users[1])
        let bobEngine = try await bob.createEngine(contextID: try await bob.createContext(thread: "thread-bob"))
        _ = try await bob.startRun(engineID: bobEngine, agent: "echo", input: input)

        #expect(try await alice.call("DELETE", "/v1/engines/\(engine)").status == 204)
        let freed = try await alice.call("GET", "/v1/usage")
        #expect(freed.json?["categories"]?["runs"]?["count"]?.int64Value == 0)
        let fresh = try await alice.createEngine(contextID: try await alice.createContext(thread: "thread-runs-2"))
        _ = try await alice.startRun(engineID: fresh, agent: "echo", input: input)
    }

    @Test("past the global budget: 503 global-budget-exceeded with Retry-After, whoever asks")
    func globalBudget() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await Self.start(perUser: 200_000, global: 300_000, users: users)
        defer { Task { await server.stop() } }
        let (alice, bob) = (server.client(users[0]), server.client(users[1]))
        for index in 0..<3 {
            #expect(try await alice.call("POST", "/v1/contexts", json: Self.bigContext("thread-\(index)")).status == 201)
        }
        #expect(try await bob.call("POST", "/v1/contexts", json: Self.bigContext("bob-0")).status == 201)
        let refused = try await bob.call("POST", "/v1/contexts", json: Self.bigContext("bob-1"))
        #expect(refused.status == 503)
        #expect(refused.string("type") == "urn:isolationd:problem:global-budget-exceeded")
        #expect(refused.header("Retry-After") != nil)
        let metrics = try await server.client(nil).call("GET", "/metrics", authenticated: false)
        #expect(metrics.text.contains(#"isolationd_budget_refusals_total{scope="global"} 1"#))
        #expect(metrics.text.contains("isolationd_budget_global_bytes 300000"))
    }
}
