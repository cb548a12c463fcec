import ExecutionCore
import IsolationdTesting
import Testing

/// Every error path of the API through the real binary: each answer is problem+json with the
/// status and the detail that says what to fix.
@Suite("API error paths (real binary)", .serialized)
struct ErrorPathTests {
    static func expectProblem(_ answer: APIAnswer, _ status: Int, field: String? = nil, detailContains: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == status, "\(answer.text)", sourceLocation: sourceLocation)
        #expect(answer.contentType == "application/problem+json", sourceLocation: sourceLocation)
        #expect(answer.json?["status"] == .integer(Int64(status)), sourceLocation: sourceLocation)
        if let field { #expect(answer.string("field") == field, "\(answer.text)", sourceLocation: sourceLocation) }
        if let detailContains {
            #expect(answer.string("detail")?.contains(detailContains) == true, "\(answer.text)", sourceLocation: sourceLocation)
        }
    }

    @Test("authentication, media type, JSON syntax, members, sizes, ids, roles, methods")
    func requestErrors() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await APITestConfiguration.start(users: users)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])
        let bob = server.client(users[1])
        let anonymous = server.client(nil)

        // 401 with a challenge: no credentials, an unknown key, another scheme.
        let missing = try await anonymous.call("POST", "/v1/contexts", json: #"{"thread_id": "thread-1"}"#)
        Self.expectProblem(missing, 401)
        #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer realm=") == true)
        let badKey = try await anonymous.call("GET", "/v1/agents", headers: [("Authorization", "Bearer not-a-key")])
        Self.expectProblem(badKey, 401)
        #expect(badKey.header("WWW-Authenticate")?.contains(#"error="invalid_token""#) == true)
        Self.expectProblem(try await anonymous.call("GET", "/v1/engines", headers: [("Authorization", "Basic YTpi")]), 401)

        // 415: no or wrong Content-Type.
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", body: Array(#"{"thread_id": "thread-1"}"#.utf8)), 415)
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": "thread-1"}"#,
                                                headers: [("Content-Type", "text/plain")]), 415, detailContains: "application/json")
        // 400: malformed JSON (with the offset), not an object, no body.
        let malformed = try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": "thread-1",}"#)
        Self.expectProblem(malformed, 400, detailContains: "at byte")
        #expect(malformed.json?["offset"] != nil)
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", json: "[1, 2]"), 400, detailContains: "JSON object")
        Self.expectProblem(try await alice.call("POST", "/v1/contexts"), 400)
        // 422: unknown member, wrong type, missing member, user_id in the body.
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": "thread-1", "colour": 1}"#),
                           422, field: "colour", detailContains: "unknown field")
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": 12}"#),
                           422, field: "thread_id", detailContains: "must be a string")
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": "thread-1", "agent_context": []}"#),
                           422, field: "agent_context", detailContains: "an object")
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", json: #"{"run_id": "run-1"}"#), 422, field: "thread_id")
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": "thread-1", "user_id": "it-user-02"}"#),
                           422, field: "user_id")
        // 422 from the core's validation: placeholders, reserved keys, bad characters.
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": "placeholder_1"}"#), 422, field: "thread_id")
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": "thread-1", "run_id": "  "}"#), 422, field: "run_id")
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": "thread-1", "agent_context": {"user_id": "x"}}"#),
                           422, field: "agent_context", detailContains: "reserved")
        // 413: over the route's body limit (two JSON objects of 64 KiB plus slack).
        let huge = #"{"thread_id": "thread-1", "agent_context": {"blob": ""# + String(repeating: "x", count: 200_000) + #""}}"#
        Self.expectProblem(try await alice.call("POST", "/v1/contexts", json: huge), 413)

        // 404: unknown, malformed and other users' ids answer the same, byte for byte (one
        // X-Request-ID for the three, since a problem's instance names its request).
        let context = try await alice.createContext(thread: "thread-errors")
        let sameID = [("X-Request-ID", "isolation-check")]
        let unknown = try await alice.call("GET", "/v1/contexts/00000000-0000-0000-0000-000000000000", headers: sameID)
        let foreign = try await bob.call("GET", "/v1/contexts/\(context)", headers: sameID)
        let malformedID = try await alice.call("GET", "/v1/contexts/%7F%20bad", headers: sameID)
        Self.expectProblem(unknown, 404)
        #expect(foreign.status == 404 && foreign.text == unknown.text)
        #expect(malformedID.status == 404 && malformedID.text == unknown.text)
        Self.expectProblem(try await bob.call("POST", "/v1/engines", json: #"{"context_id": "\#(context)"}"#), 404)
        Self.expectProblem(try await alice.call("GET", "/v1/runs/nope"), 404)
        Self.expectProblem(try await alice.call("POST", "/v1/runs/nope/cancel"), 404)
        Self.expectProblem(try await alice.call("DELETE", "/v1/engines/nope"), 404)
        Self.expectProblem(try await alice.call("GET", "/v1/nowhere"), 404)

        // 403 for a non-admin on /v1/factory; 200 for the admin.
        Self.expectProblem(try await bob.call("GET", "/v1/factory"), 403)
        let factory = try await alice.call("GET", "/v1/factory")
        #expect(factory.status == 200)
        #expect(factory.json?["metrics"]?["total_engines_created"] != nil)

        // 405 with Allow.
        let wrongMethod = try await alice.call("PUT", "/v1/contexts/\(context)", json: "{}")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow")?.contains("GET") == true)
    }

    @Test("engine limits, busy engines, queues, unknown agents, cleaned engines")
    func executionErrors() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await APITestConfiguration.start(users: users, enginesPerUser: 2, maxConcurrentRuns: 1, maxQueuedRuns: 1)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])
        let context = try await alice.createContext(thread: "thread-limits")
        let first = try await alice.createEngine(contextID: context)
        _ = try await alice.createEngine(contextID: context)
        // 429 + Retry-After for the third engine.
        let third = try await alice.call("POST", "/v1/engines", json: #"{"context_id": "\#(context)"}"#)
        Self.expectProblem(third, 429, detailContains: "maximum of 2 engines")
        #expect(Int(third.header("Retry-After") ?? "") ?? 0 >= 1)

        // Busy: reject names the active run; enqueue fills the queue of 1; then 429.
        let running = try await alice.startRun(engineID: first, agent: "sleep", input: #"{"seconds": 60}"#)
        let rejected = try await alice.call("POST", "/v1/engines/\(first)/runs", json: #"{"agent": "echo", "if_busy": "reject"}"#)
        Self.expectProblem(rejected, 409)
        #expect(rejected.json?["active_runs"] == .array([.string(running)]))
        let queued = try await alice.call("POST", "/v1/engines/\(first)/runs", json: #"{"agent": "echo"}"#)
        #expect(queued.status == 202)
        #expect(queued.string("state") == "queued")
        let full = try await alice.call("POST", "/v1/engines/\(first)/runs", json: #"{"agent": "echo"}"#)
        Self.expectProblem(full, 429)
        #expect(full.header("Retry-After") != nil)
        Self.expectProblem(try await alice.call("POST", "/v1/engines/\(first)/runs", json: #"{"agent": "echo", "if_busy": "later"}"#),
                           422, field: "if_busy")
        Self.expectProblem(try await alice.call("POST", "/v1/engines/\(first)/runs", json: #"{"agent": "nope"}"#),
                           422, field: "agent", detailContains: "no agent named")

        // Interrupt: the active run ends `interrupted`, the new one starts.
        let interrupting = try await alice.startRun(engineID: first, agent: "echo", ifBusy: "interrupt")
        let interrupted = try await alice.waitForTerminalRun(running)
        #expect(interrupted.string("state") == "cancelled")
        #expect(interrupted.string("reason") == "interrupted")
        #expect(try await alice.waitForTerminalRun(interrupting).string("state") == "completed")

        // Deleting an engine cancels its runs; the engine is gone.
        let longRun = try await alice.startRun(engineID: first, agent: "sleep", input: #"{"seconds": 60}"#)
        #expect(try await alice.call("DELETE", "/v1/engines/\(first)").status == 204)
        Self.expectProblem(try await alice.call("POST", "/v1/engines/\(first)/runs", json: #"{"agent": "echo"}"#), 404)
        #expect(try await alice.call("GET", "/v1/runs/\(longRun)").status == 404)
        // A slot came back: a new engine fits.
        _ = try await alice.createEngine(contextID: context)
    }

    @Test("Idempotency-Key: replay, other body 422, scoped per user, failures not stored")
    func idempotency() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await APITestConfiguration.start(users: users)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])
        let bob = server.client(users[1])
        let body = #"{"thread_id": "thread-idem"}"#
        let first = try await alice.call("POST", "/v1/contexts", json: body, headers: [("Idempotency-Key", "key-1")])
        let replay = try await alice.call("POST", "/v1/contexts", json: body, headers: [("Idempotency-Key", "key-1")])
        #expect(first.status == 201)
        #expect(replay.status == 201)
        #expect(replay.text == first.text)
        #expect(replay.header("Location") == first.header("Location"))
        #expect(replay.header("Idempotent-Replayed") == "true")
        let other = try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": "thread-other"}"#,
                                         headers: [("Idempotency-Key", "key-1")])
        ErrorPathTests.expectProblem(other, 422)
        // Bob's key-1 is his own.
        let bobs = try await bob.call("POST", "/v1/contexts", json: body, headers: [("Idempotency-Key", "key-1")])
        #expect(bobs.status == 201 && bobs.string("id") != first.string("id"))
        // Only one context was made for alice's two requests.
        let context = try #require(first.string("id"))
        // Engines: a 429 is not remembered, the retry runs again.
        _ = try await alice.createEngine(contextID: context)
        _ = try await alice.createEngine(contextID: context)
        let engineBody = #"{"context_id": "\#(context)"}"#
        let refused = try await alice.call("POST", "/v1/engines", json: engineBody, headers: [("Idempotency-Key", "engine-3")])
        #expect(refused.status == 429)
        let engines = try #require(try await alice.call("GET", "/v1/engines").json?["engines"]?.arrayValue)
        #expect(try await alice.call("DELETE", "/v1/engines/\(try #require(engines.first?["id"]?.stringValue))").status == 204)
        let retried = try await alice.call("POST", "/v1/engines", json: engineBody, headers: [("Idempotency-Key", "engine-3")])
        #expect(retried.status == 201)
        #expect(retried.header("Idempotent-Replayed") == nil)
        // A bad key is a 400.
        ErrorPathTests.expectProblem(try await alice.call("POST", "/v1/contexts", json: body, headers: [("Idempotency-Key", "")]), 400)
    }
}
