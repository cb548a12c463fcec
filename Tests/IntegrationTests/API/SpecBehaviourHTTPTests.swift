import ExecutionCore
import IsolationdTesting
import Testing

/// SPEC.md §5's behaviours again, through HTTP against the real binary, where they have an
/// HTTP form (2's missing event publisher and 6's emitters have none beyond what the run records
/// show; 15's memory baseline is the engine and context counts here).
@Suite("SPEC §5 behaviours through HTTP (real binary)", .serialized)
struct SpecBehaviourHTTPTests {
    static func factory(_ admin: APIClient) async throws -> JSONValue {
        let answer = try await admin.call("GET", "/v1/factory")
        try #require(answer.status == 200, "\(answer.text)")
        return try #require(answer.json)
    }

    @Test("1, 5, 10, 12, 13: contexts are distinct values; children inherit; validation refuses placeholders")
    func contexts() async throws {
        let users = APITestConfiguration.users(1)
        let server = try await APITestConfiguration.start(users: users)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])

        // 1: five contexts, distinct ids and metadata.
        var answers: [APIAnswer] = []
        for index in 0..<5 {
            answers.append(try await alice.call("POST", "/v1/contexts",
                                                json: #"{"thread_id": "thread-five-\#(index)", "audit_metadata": {"n": \#(index)}}"#))
        }
        #expect(answers.allSatisfy { $0.status == 201 })
        #expect(Set(answers.compactMap { $0.string("request_id") }).count == 5)
        #expect(Set(answers.compactMap { $0.string("run_id") }).count == 5)
        #expect(Set(answers.compactMap { $0.json?["audit_metadata"]?["n"] }).count == 5)

        // 10: reading a context returns the same value; a non-context cannot get an engine.
        let first = try #require(answers[0].string("id"))
        #expect(try await alice.call("GET", "/v1/contexts/\(first)").json == answers[0].json)
        #expect(try await alice.call("POST", "/v1/engines", json: #"{"context_id": "not-a-context"}"#).status == 404)
        #expect(try await alice.call("POST", "/v1/engines", json: #"{"context_id": {"user_id": "x"}}"#).status == 422)

        // 5 and 12: a child inherits ids and nested preferences, depth + 1, parent link; its own
        // additions never reach the parent.
        let parent = try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": "thread-family", "websocket_client_id": "ws-7", "agent_context": {"prefs": {"tone": "brief", "units": "metric"}}}"#)
        let parentID = try #require(parent.string("id"))
        let child = try await alice.call("POST", "/v1/contexts/\(parentID)/children",
                                         json: #"{"operation_name": "sub", "agent_context": {"prefs": {"tone": "long"}}}"#)
        #expect(child.status == 201)
        for key in ["user_id", "thread_id", "run_id", "websocket_client_id"] { #expect(child.json?[key] == parent.json?[key]) }
        #expect(child.string("request_id") != parentID)
        #expect(child.json?["operation_depth"] == .integer(1))
        #expect(child.string("parent_request_id") == parentID)
        #expect(child.json?["agent_context"]?["prefs"]?["tone"] == .string("long"))
        let grandchild = try await alice.call("POST", "/v1/contexts/\(try #require(child.string("id")))/children",
                                              json: #"{"operation_name": "subsub"}"#)
        #expect(grandchild.json?["operation_depth"] == .integer(2))
        #expect(grandchild.json?["agent_context"]?["prefs"]?["tone"] == .string("long"))
        let parentAgain = try await alice.call("GET", "/v1/contexts/\(parentID)")
        #expect(parentAgain.json?["agent_context"]?["prefs"]?["tone"] == .string("brief"))
        let trail = try await alice.call("GET", "/v1/contexts/\(try #require(grandchild.string("id")))/audit")
        #expect(trail.json?["operation_depth"] == .integer(2))
        #expect(trail.string("correlation_id") != nil)

        // 13: empty ids and placeholders refused, naming the field.
        for bad in ["", "   ", "null", "TEST", "temp-42", "placeholder_1"] {
            let answer = try await alice.call("POST", "/v1/contexts", json: #"{"thread_id": "\#(bad)"}"#)
            #expect(answer.status == 422 && answer.string("field") == "thread_id", "\(bad): \(answer.text)")
        }
        #expect(try await alice.call("POST", "/v1/contexts/\(parentID)/children", json: #"{"operation_name": ""}"#).status == 422)
    }

    @Test("2, 3, 4, 6, 7, 8, 11, 14: engines per user, limits, isolation, recovery")
    func engines() async throws {
        let users = APITestConfiguration.users(4)
        let server = try await APITestConfiguration.start(users: users)
        defer { Task { await server.stop() } }
        let admin = server.client(users[0])

        // 2: a fresh factory: limit 2, nothing active, zeroed counters.
        let fresh = try await Self.factory(admin)
        #expect(fresh["limits"]?["max_engines_per_user"] == .integer(2))
        #expect(fresh["metrics"]?["active_engines_count"] == .integer(0))
        #expect(fresh["metrics"]?["total_engines_created"] == .integer(0))
        #expect(fresh["metrics"]?["user_limit_rejections"] == .integer(0))

        // 3 and 6: engines for several users at once, each bound to its own user; runs carry
        // their engine's user, thread and logical run.
        let port = server.port
        let made = try await withThrowingTaskGroup(of: (TestUser, String, String, String).self) { group in
            for user in users.dropFirst() {
                group.addTask {
                    let client = APIClient(port: port, user: user)
                    let context = try await client.createContext(thread: "thread-\(user.id)")
                    let engine = try await client.createEngine(contextID: context)
                    let run = try await client.startRun(engineID: engine, agent: "echo")
                    return (user, context, engine, run)
                }
            }
            var all: [(TestUser, String, String, String)] = []
            for try await item in group { all.append(item) }
            return all
        }
        for (user, context, engine, run) in made {
            let client = server.client(user)
            let engineAnswer = try await client.call("GET", "/v1/engines/\(engine)")
            #expect(engineAnswer.string("user_id") == user.id)
            #expect(engineAnswer.string("context_id") == context)
            let runAnswer = try await client.waitForTerminalRun(run)
            #expect(runAnswer.string("user_id") == user.id)
            #expect(runAnswer.string("thread_id") == "thread-\(user.id)")
            #expect(runAnswer.string("engine_id") == engine)
            // 7: another user's engine list never shows it.
            for (other, _, otherEngine, _) in made where other != user {
                let list = try await client.call("GET", "/v1/engines")
                #expect(!list.text.contains(otherEngine))
            }
        }

        // 4 and 14: the third engine is refused and counted, every further attempt too; after one
        // cleanup a new engine fits.
        let alice = server.client(users[1])
        let context = try await alice.createContext(thread: "thread-quota")
        let second = try await alice.createEngine(contextID: context)
        for _ in 0..<3 {
            #expect(try await alice.call("POST", "/v1/engines", json: #"{"context_id": "\#(context)"}"#).status == 429)
        }
        #expect(try await Self.factory(admin)["metrics"]?["user_limit_rejections"] == .integer(3))
        #expect(try await alice.call("DELETE", "/v1/engines/\(second)").status == 204)
        _ = try await alice.createEngine(contextID: context)

        // 8: an invalid context is refused; a valid one then succeeds.
        let bob = server.client(users[2])
        #expect(try await bob.call("POST", "/v1/contexts", json: #"{"thread_id": "undefined"}"#).status == 422)
        _ = try await bob.createContext(thread: "thread-valid")

        // 11: one user on two threads: two engines within the limit, each with its thread.
        let carol = server.client(users[3])
        let carolEngines = try #require(try await carol.call("GET", "/v1/engines").json?["engines"]?.arrayValue)
        for engine in carolEngines { #expect(try await carol.call("DELETE", "/v1/engines/\(try #require(engine["id"]?.stringValue))").status == 204) }
        let threadA = try await carol.createEngine(contextID: try await carol.createContext(thread: "thread-a"))
        let threadB = try await carol.createEngine(contextID: try await carol.createContext(thread: "thread-b"))
        #expect(try await carol.call("GET", "/v1/engines/\(threadA)").string("thread_id") == "thread-a")
        #expect(try await carol.call("GET", "/v1/engines/\(threadB)").string("thread_id") == "thread-b")
    }

    @Test("9 and 15: cleanup of several users' engines; 3 batches of 10 users leave nothing active")
    func cleanupAndLoad() async throws {
        let users = APITestConfiguration.users(31)
        let server = try await APITestConfiguration.start(users: users)
        defer { Task { await server.stop() } }
        let admin = server.client(users[0])
        let port = server.port

        // 9: three users' engines cleaned; counts back to 0; cleaned == 3.
        var engines: [(TestUser, String)] = []
        for user in users[1...3] {
            let client = server.client(user)
            engines.append((user, try await client.createEngine(contextID: try await client.createContext(thread: "thread-nine"))))
        }
        for (user, engine) in engines { #expect(try await server.client(user).call("DELETE", "/v1/engines/\(engine)").status == 204) }
        var metrics = try #require(try await Self.factory(admin)["metrics"])
        #expect(metrics["active_engines_count"] == .integer(0))
        #expect(metrics["total_engines_cleaned"] == .integer(3))

        // 15: 3 batches of 10 users, each creates a context and an engine, then cleans up.
        var seen: Set<String> = []
        for batch in 0..<3 {
            let batchUsers = Array(users[(1 + batch * 10)...(10 + batch * 10)])
            let owners = try await withThrowingTaskGroup(of: String.self) { group in
                for user in batchUsers {
                    group.addTask {
                        let client = APIClient(port: port, user: user)
                        let context = try await client.createContext(thread: "thread-load-\(batch)")
                        let engine = try await client.createEngine(contextID: context)
                        let owner = try await client.call("GET", "/v1/engines/\(engine)").string("user_id") ?? ""
                        #expect(try await client.call("DELETE", "/v1/contexts/\(context)").status == 204)
                        return owner
                    }
                }
                var all: [String] = []
                for try await owner in group { all.append(owner) }
                return all
            }
            seen.formUnion(owners)
        }
        #expect(seen.count == 30)
        metrics = try #require(try await Self.factory(admin)["metrics"])
        #expect(metrics["active_engines_count"] == .integer(0))
        #expect(metrics["total_engines_created"] == metrics["total_engines_cleaned"])
    }
}
