import ExecutionCore
import IsolationdTesting
import Testing

/// Execution contexts shared by replicas (issue 13): a context made on one replica is read,
/// listed, audited, given a child, used for an engine and deleted on the other; another user
/// gets 404 on both; and it outlives a restart of the replica that made it.
@Suite("Replicas on PostgreSQL: contexts", .enabled(if: ReplicaSupport.available), .serialized)
struct ReplicaContextTests {
    static func listedIDs(_ answer: APIAnswer) -> [String] {
        answer.json?["contexts"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }

    @Test("made on A: read, listed, audited, a child, an engine and deleted (with its child) on B; another user 404; kept across A's restart")
    func contextsAreShared() async throws {
        let url = try await ReplicaSupport.migratedDatabase()
        let users = APITestConfiguration.users(2)
        var a = try await ReplicaSupport.startReplica(users: users, url: url)
        let b = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { await b.stop() } }
        let onA = a.client(users[0])
        let onB = b.client(users[0])

        let id = try await onA.createContext(thread: "shared-thread")
        let older = try await onA.createContext(thread: "older-first")
        let newest = try await onA.createContext(thread: "newest")
        let read = try await onB.call("GET", "/v1/contexts/\(id)")
        #expect(read.status == 200, "\(read.text)")
        #expect(read.string("thread_id") == "shared-thread")
        #expect(try await onB.call("GET", "/v1/contexts/\(id)/audit").status == 200)
        let listed = try await onB.call("GET", "/v1/contexts?limit=2")
        #expect(listed.status == 200)
        #expect(Self.listedIDs(listed) == [newest, older], "\(listed.text)")
        #expect(listed.json?["next"] != nil)

        // Another user sees nothing of it, on either replica.
        for replica in [a, b] {
            let other = replica.client(users[1])
            #expect(try await other.call("GET", "/v1/contexts/\(id)").status == 404)
            #expect(try await other.call("DELETE", "/v1/contexts/\(id)").status == 404)
            #expect(try await other.call("POST", "/v1/engines", json: #"{"context_id": "\#(id)"}"#).status == 404)
            #expect(Self.listedIDs(try await other.call("GET", "/v1/contexts")).isEmpty)
        }

        // A child made on B, an engine on B for A's context.
        let child = try await onB.call("POST", "/v1/contexts/\(id)/children", json: #"{"operation_name": "sub"}"#)
        #expect(child.status == 201, "\(child.text)")
        let childID = try #require(child.string("id"))
        #expect(try await onA.call("GET", "/v1/contexts/\(childID)").string("parent_request_id") == id)
        _ = try await onB.createEngine(contextID: id)

        // A restarts: the context is still there, on A and on B.
        #expect(await a.stop() == 0)
        a = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { [a] in await a.stop() } }
        #expect(try await a.client(users[0]).call("GET", "/v1/contexts/\(id)").status == 200)

        // Deleted on B: gone everywhere, the child with it.
        #expect(try await onB.call("DELETE", "/v1/contexts/\(id)").status == 204)
        for replica in [a, b] {
            #expect(try await replica.client(users[0]).call("GET", "/v1/contexts/\(id)").status == 404)
            #expect(try await replica.client(users[0]).call("GET", "/v1/contexts/\(childID)").status == 404)
        }
        #expect(try await onB.call("DELETE", "/v1/contexts/\(id)").status == 404)
        #expect(try await a.client(users[0]).call("POST", "/v1/engines", json: #"{"context_id": "\#(id)"}"#).status == 404)
    }
}
