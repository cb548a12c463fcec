@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Testing

@Suite("REST routes in process")
struct RouteTests {
    @Test("every /v1 route answers 401 with a challenge without credentials")
    func everyRouteAuthenticates() async throws {
        let harness = try RouteHarness()
        for pattern in harness.router.patterns where pattern.hasPrefix("/v1/") {
            for method in [HTTPMethod.get, .post, .delete] where harness.router.pattern(method: method, path: pattern.replacingParameters()) == pattern {
                let (response, json) = harness.request(method, pattern.replacingParameters(), key: nil, json: "{}")
                #expect(response.status == .unauthorized, "\(method) \(pattern)")
                #expect(response.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
                #expect(json?["type"] == .string("urn:isolationd:problem:unauthorized"))
            }
        }
        await harness.shutdown()
    }

    @Test("the user comes from the token: a body's user_id is refused, the context is the caller's")
    func userFromToken() async throws {
        let harness = try RouteHarness()
        let refused = harness.request(.post, "/v1/contexts", json: #"{"thread_id": "thread-1", "user_id": "demo-bob"}"#)
        #expect(refused.response.status == .unprocessableContent)
        let created = harness.request(.post, "/v1/contexts", json: #"{"thread_id": "thread-1"}"#)
        #expect(created.response.status == .created)
        #expect(created.json?["user_id"] == .string("demo-alice"))
        let id = try #require(created.json?["id"]?.stringValue)
        #expect(created.response.headers["Location"] == "/v1/contexts/\(id)")
        #expect(harness.request(.get, "/v1/contexts/\(id)", key: RouteHarness.bobKey).response.status == .notFound)
        #expect(harness.request(.get, "/v1/contexts/\(id)").json == created.json)
        await harness.shutdown()
    }

    @Test("per-route body limits are declared to the server")
    func bodyLimits() async throws {
        let harness = try RouteHarness()
        let contexts = try #require(harness.router.maxBodySize(method: .post, path: "/v1/contexts"))
        #expect(contexts >= 2 * 65_536 && contexts < 1 << 20)
        #expect(harness.router.maxBodySize(method: .post, path: "/v1/engines") == 4096)
        #expect(harness.router.maxBodySize(method: .post, path: "/v1/runs/x/cancel") == 1024)
        await harness.shutdown()
    }

    @Test("a run through the routes: 202 with Location, readable, cancel answers 200 once terminal")
    func runLifecycle() async throws {
        let harness = try RouteHarness()
        let context = try #require(harness.request(.post, "/v1/contexts", json: #"{"thread_id": "thread-r"}"#).json?["id"]?.stringValue)
        let engine = harness.request(.post, "/v1/engines", json: #"{"context_id": "\#(context)"}"#)
        #expect(engine.response.status == .created)
        let engineID = try #require(engine.json?["id"]?.stringValue)
        let run = harness.request(.post, "/v1/engines/\(engineID)/runs", json: #"{"agent": "echo", "input": {"x": 1}}"#)
        #expect(run.response.status == .accepted)
        let runID = try #require(run.json?["id"]?.stringValue)
        #expect(run.response.headers["Location"] == "/v1/runs/\(runID)")
        var state = ""
        for _ in 0..<200 {
            state = harness.request(.get, "/v1/runs/\(runID)").json?["state"]?.stringValue ?? ""
            if state == "completed" { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(state == "completed")
        #expect(harness.request(.post, "/v1/runs/\(runID)/cancel").response.status == .ok)
        #expect(harness.request(.get, "/v1/runs/\(runID)", key: RouteHarness.bobKey).response.status == .notFound)
        await harness.shutdown()
    }
}
