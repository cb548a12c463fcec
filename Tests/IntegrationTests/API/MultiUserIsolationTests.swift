import ExecutionCore
import IsolationdTesting
import Testing

/// Twenty users at once through the real binary: each makes contexts, children, engines and
/// runs; no answer ever carries another user's id, and every foreign id answers 404.
@Suite("API isolation with 20 users (real binary)", .serialized)
struct MultiUserIsolationTests {
    struct Made: Sendable {
        var user: TestUser
        var ids: [String] = []
        var contexts: [String] = []
        var engines: [String] = []
        var runs: [String] = []
        var answers: [String] = []
    }

    static func work(for user: TestUser, port: Int) async throws -> Made {
        let client = APIClient(port: port, user: user)
        var made = Made(user: user)
        func keep(_ answer: APIAnswer) { made.answers.append(answer.text) }
        for round in 0..<2 {
            let created = try await client.call("POST", "/v1/contexts",
                                                json: #"{"thread_id": "thread-\#(user.id)-\#(round)", "agent_context": {"owner": "\#(user.id)"}}"#)
            keep(created)
            try #require(created.status == 201, "\(created.text)")
            let context = try #require(created.string("id"))
            made.contexts.append(context)
            made.ids += [context, try #require(created.string("run_id"))]
            let child = try await client.call("POST", "/v1/contexts/\(context)/children", json: #"{"operation_name": "step-\#(round)"}"#)
            keep(child)
            try #require(child.status == 201)
            made.contexts.append(try #require(child.string("id")))
            made.ids.append(try #require(child.string("id")))
            let engine = try await client.call("POST", "/v1/engines", json: #"{"context_id": "\#(context)"}"#)
            keep(engine)
            try #require(engine.status == 201, "\(engine.text)")
            let engineID = try #require(engine.string("id"))
            made.engines.append(engineID)
            made.ids.append(engineID)
            let run = try await client.call("POST", "/v1/engines/\(engineID)/runs",
                                            json: #"{"agent": "tools", "input": {"query": "isolation for \#(user.id)"}}"#)
            keep(run)
            try #require(run.status == 202, "\(run.text)")
            let runID = try #require(run.string("id"))
            made.runs.append(runID)
            made.ids.append(runID)
        }
        for run in made.runs { keep(try await client.waitForTerminalRun(run)) }
        keep(try await client.call("GET", "/v1/engines"))
        for engine in made.engines { keep(try await client.call("GET", "/v1/engines/\(engine)")) }
        for context in made.contexts { keep(try await client.call("GET", "/v1/contexts/\(context)/audit")) }
        return made
    }

    @Test("20 users create at once; answers carry only their own ids; foreign ids are 404")
    func twentyUsers() async throws {
        let users = APITestConfiguration.users(20)
        let server = try await APITestConfiguration.start(users: users, enginesPerUser: 2, maxConcurrentRuns: 2)
        defer { Task { await server.stop() } }
        let port = server.port
        let results = try await withThrowingTaskGroup(of: Made.self) { group in
            for user in users { group.addTask { try await Self.work(for: user, port: port) } }
            var all: [Made] = []
            for try await made in group { all.append(made) }
            return all
        }
        #expect(results.count == 20)
        let allIDs = Set(results.flatMap(\.ids))
        #expect(allIDs.count == results.reduce(0) { $0 + $1.ids.count }, "ids are unique across users")

        for made in results {
            let others = results.filter { $0.user != made.user }
            let foreignIDs = others.flatMap(\.ids)
            for answer in made.answers {
                for other in others where answer.contains(other.user.id) {
                    Issue.record("\(made.user.id) saw \(other.user.id) in \(answer)")
                }
                for id in foreignIDs where answer.contains(id) {
                    Issue.record("\(made.user.id) saw a foreign id \(id)")
                }
            }
            #expect(made.answers.allSatisfy { !$0.isEmpty })
        }

        // Every foreign id answers 404 exactly like an unknown one, for reads and writes alike.
        let probe = results[0]
        let victim = results[1]
        let client = server.client(probe.user)
        // One X-Request-ID for the compared answers: a problem's instance names its request.
        let sameID = [("X-Request-ID", "isolation-check")]
        let unknownContext = try await client.call("GET", "/v1/contexts/unknown-id-000", headers: sameID)
        for context in victim.contexts {
            let answer = try await client.call("GET", "/v1/contexts/\(context)", headers: sameID)
            #expect(answer.status == 404 && answer.text == unknownContext.text)
            #expect(try await client.call("GET", "/v1/contexts/\(context)/audit").status == 404)
            #expect(try await client.call("POST", "/v1/contexts/\(context)/children", json: #"{"operation_name": "steal"}"#).status == 404)
            #expect(try await client.call("DELETE", "/v1/contexts/\(context)").status == 404)
        }
        for engine in victim.engines {
            #expect(try await client.call("GET", "/v1/engines/\(engine)").status == 404)
            #expect(try await client.call("POST", "/v1/engines/\(engine)/runs", json: #"{"agent": "echo"}"#).status == 404)
            #expect(try await client.call("DELETE", "/v1/engines/\(engine)").status == 404)
        }
        for run in victim.runs {
            #expect(try await client.call("GET", "/v1/runs/\(run)").status == 404)
            #expect(try await client.call("POST", "/v1/runs/\(run)/cancel").status == 404)
        }
        // The victim still has everything.
        let victimClient = server.client(victim.user)
        for engine in victim.engines { #expect(try await victimClient.call("GET", "/v1/engines/\(engine)").status == 200) }
        for run in victim.runs { #expect(try await victimClient.call("GET", "/v1/runs/\(run)").status == 200) }

        // The admin's factory view counts every user's engines, as counts.
        let factory = try await server.client(users[0]).call("GET", "/v1/factory")
        #expect(factory.json?["metrics"]?["active_engines_count"] == .integer(40))
        #expect(factory.json?["active_engines"]?["users"] == .integer(20))
    }
}
