import ExecutionCore
import Glibc
import IsolationdTesting
import Testing

/// The README's curl walk-through, step by step, against the real binary.
@Suite("API walk-through (real binary)", .serialized)
struct WalkthroughTests {
    @Test("context, child, engine, runs of a builtin and of the example process agent, cancel, clean up")
    func walkthrough() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await APITestConfiguration.start(users: users, maxConcurrentRuns: 2)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])

        // Agents on offer.
        let agents = try await alice.call("GET", "/v1/agents")
        #expect(agents.status == 200)
        let names = agents.json?["agents"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names == ["echo", "tools", "sleep", "research"])

        // A context, read back, and a child of it.
        let created = try await alice.call("POST", "/v1/contexts",
                                           json: #"{"thread_id": "thread-walk", "agent_context": {"preferences": {"tone": "brief"}}}"#)
        #expect(created.status == 201)
        let contextID = try #require(created.string("id"))
        #expect(created.header("Location") == "/v1/contexts/\(contextID)")
        #expect(created.string("user_id") == users[0].id)
        let read = try await alice.call("GET", "/v1/contexts/\(contextID)")
        #expect(read.status == 200)
        #expect(read.json == created.json)
        let child = try await alice.call("POST", "/v1/contexts/\(contextID)/children",
                                         json: #"{"operation_name": "summarise_step"}"#)
        #expect(child.status == 201)
        #expect(child.json?["operation_depth"] == .integer(1))
        #expect(child.string("parent_request_id") == contextID)
        #expect(child.json?["agent_context"]?["preferences"]?["tone"] == .string("brief"))
        let audit = try await alice.call("GET", "/v1/contexts/\(try #require(child.string("id")))/audit")
        #expect(audit.status == 200)
        #expect(audit.string("parent_request_id") == contextID)
        #expect(audit.string("correlation_id")?.isEmpty == false)

        // An engine and runs.
        let engineID = try await alice.createEngine(contextID: contextID)
        let echoRun = try await alice.startRun(engineID: engineID, agent: "echo", input: #"{"text": "hello"}"#)
        let echoed = try await alice.waitForTerminalRun(echoRun)
        #expect(echoed.string("state") == "completed")
        #expect(echoed.json?["result"]?["echo"]?["text"] == .string("hello"))

        let research = try await alice.call("POST", "/v1/engines/\(engineID)/runs",
                                            json: #"{"agent": "research", "input": {"question": "What is an execution engine?"}}"#)
        #expect(research.status == 202)
        let researchID = try #require(research.string("id"))
        #expect(research.header("Location") == "/v1/runs/\(researchID)")
        let researched = try await alice.waitForTerminalRun(researchID)
        #expect(researched.string("state") == "completed", "\(researched.text)")
        #expect(researched.json?["result"] != nil && researched.json?["result"] != .null)

        // Cancel a long run: 202 while it stops, then cancelled; cancelling again is 200.
        let sleeper = try await alice.startRun(engineID: engineID, agent: "sleep", input: #"{"seconds": 60}"#)
        let cancel = try await alice.call("POST", "/v1/runs/\(sleeper)/cancel")
        #expect([200, 202].contains(cancel.status))
        let cancelled = try await alice.waitForTerminalRun(sleeper)
        #expect(cancelled.string("state") == "cancelled")
        #expect(cancelled.string("reason") == "cancelled")
        let again = try await alice.call("POST", "/v1/runs/\(sleeper)/cancel")
        #expect(again.status == 200)

        // The engine shows its runs and stats.
        let engine = try await alice.call("GET", "/v1/engines/\(engineID)")
        #expect(engine.status == 200)
        #expect(engine.json?["stats"]?["total_runs"] == .integer(3))
        #expect(engine.json?["runs"]?.arrayValue?.count == 3)

        // Clean up: deleting the context cleans its engine.
        let delete = try await alice.call("DELETE", "/v1/contexts/\(contextID)")
        #expect(delete.status == 204)
        #expect(try await alice.call("GET", "/v1/contexts/\(contextID)").status == 404)
        #expect(try await alice.call("GET", "/v1/engines/\(engineID)").status == 404)
        let list = try await alice.call("GET", "/v1/engines")
        #expect(list.json?["engines"]?.arrayValue?.isEmpty == true)

        // Documents and metrics: the counters carry route templates, never ids.
        let document = try await server.client(nil).call("GET", "/openapi.json", authenticated: false)
        #expect(document.status == 200)
        #expect(document.json?["openapi"] == .string("3.1.0"))
        let metrics = try await server.client(nil).call("GET", "/metrics", authenticated: false)
        #expect(metrics.status == 200)
        #expect(metrics.text.contains(#"isolationd_http_requests_total{route="/v1/engines/{id}/runs",method="POST",status="202"}"#))
        #expect(metrics.text.contains(#"isolationd_runs_finished_total{outcome="cancelled"} 1"#))
        #expect(!metrics.text.contains(engineID) && !metrics.text.contains(contextID) && !metrics.text.contains(users[0].id))

        #expect(await server.stop() == 0)
    }

    @Test("SIGTERM with a run in flight drains within the shutdown deadline and exits 0")
    func drainEndsRunsWithShutdown() async throws {
        let users = APITestConfiguration.users(1)
        let server = try await APITestConfiguration.start(users: users)
        let alice = server.client(users[0])
        let context = try await alice.createContext(thread: "thread-drain")
        let engine = try await alice.createEngine(contextID: context)
        _ = try await alice.startRun(engineID: engine, agent: "sleep", input: #"{"seconds": 60}"#)
        let status = await server.stop(signal: SIGTERM, within: .seconds(20))
        #expect(status == 0)
        #expect(server.output.contains("stopped"))
    }
}
