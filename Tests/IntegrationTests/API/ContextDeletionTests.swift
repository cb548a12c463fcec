import ExecutionCore
import IsolationdTesting
import Testing

/// DELETE /v1/contexts/{id} takes the context's descendants and their engines with it.
@Suite("Deleting a context (real binary)")
struct ContextDeletionTests {
    @Test("deleting a context deletes its children and grandchildren and cleans their engines; siblings' trees and other users stay")
    func cascade() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await APITestConfiguration.start(users: users, enginesPerUser: 4)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])
        let bob = server.client(users[1])

        let root = try await alice.createContext(thread: "thread-tree")
        func makeChild(of parent: String, _ name: String) async throws -> String {
            let answer = try await alice.call("POST", "/v1/contexts/\(parent)/children", json: #"{"operation_name": "\#(name)"}"#)
            try #require(answer.status == 201, "\(answer.text)")
            return try #require(answer.string("id"))
        }
        let child = try await makeChild(of: root, "search")
        let grandchild = try await makeChild(of: child, "fetch")
        let other = try await alice.createContext(thread: "thread-other")
        let otherChild = try await makeChild(of: other, "keep")
        let bobs = try await bob.createContext(thread: "thread-tree")

        let childEngine = try await alice.createEngine(contextID: child)
        let running = try await alice.startRun(engineID: childEngine, agent: "sleep", input: #"{"seconds": 60}"#)
        let otherEngine = try await alice.createEngine(contextID: otherChild)
        let bobEngine = try await bob.createEngine(contextID: bobs)

        #expect(try await bob.call("DELETE", "/v1/contexts/\(root)").status == 404)
        #expect(try await alice.call("DELETE", "/v1/contexts/\(root)").status == 204)
        for gone in [root, child, grandchild] {
            #expect(try await alice.call("GET", "/v1/contexts/\(gone)").status == 404, "\(gone)")
        }
        #expect(try await alice.call("GET", "/v1/engines/\(childEngine)").status == 404)
        #expect(try await alice.call("GET", "/v1/runs/\(running)").status == 404)
        #expect(try await alice.call("POST", "/v1/contexts/\(child)/children", json: #"{"operation_name": "late"}"#).status == 404)
        // Untouched: the other tree, its engine, Bob's context and engine.
        for kept in [other, otherChild] { #expect(try await alice.call("GET", "/v1/contexts/\(kept)").status == 200) }
        #expect(try await alice.call("GET", "/v1/engines/\(otherEngine)").status == 200)
        #expect(try await bob.call("GET", "/v1/contexts/\(bobs)").status == 200)
        #expect(try await bob.call("GET", "/v1/engines/\(bobEngine)").status == 200)
        #expect(try await alice.call("DELETE", "/v1/contexts/\(root)").status == 404)
    }
}
