import IsolationdTesting
import Testing

/// Idempotency-Keys across replicas and restarts (issue 13, item 4): a key used on one replica
/// is answered again on the other, and after the first one restarted.
@Suite("Replicas on PostgreSQL: idempotency", .enabled(if: ReplicaSupport.available), .serialized)
struct ReplicaIdempotencyTests {
    @Test("a key's answer is replayed by the other replica and after a restart; another request under it is 422")
    func keysHoldEverywhere() async throws {
        let url = try await ReplicaSupport.migratedDatabase()
        let users = APITestConfiguration.users(2)
        var a = try await ReplicaSupport.startReplica(users: users, url: url)
        let b = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { await b.stop() } }
        let body = #"{"thread_id": "idem-thread"}"#
        let key = [("Idempotency-Key", "replica-key-1")]

        let first = try await a.client(users[0]).call("POST", "/v1/contexts", json: body, headers: key)
        #expect(first.status == 201, "\(first.text)")
        let id = try #require(first.string("id"))

        let onB = try await b.client(users[0]).call("POST", "/v1/contexts", json: body, headers: key)
        #expect(onB.status == 201)
        #expect(onB.string("id") == id)
        #expect(onB.header("Idempotent-Replayed") == "true")

        let other = try await b.client(users[0]).call("POST", "/v1/contexts", json: #"{"thread_id": "another"}"#, headers: key)
        #expect(other.status == 422, "\(other.text)")

        // Keys are per user: the second user's same key is a new request.
        let second = try await b.client(users[1]).call("POST", "/v1/contexts", json: body, headers: key)
        #expect(second.status == 201)
        #expect(second.header("Idempotent-Replayed") == nil)
        #expect(second.string("id") != id)

        // A restarted replica still knows the key.
        #expect(await a.stop() == 0)
        a = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { [a] in await a.stop() } }
        let afterRestart = try await a.client(users[0]).call("POST", "/v1/contexts", json: body, headers: key)
        #expect(afterRestart.status == 201)
        #expect(afterRestart.string("id") == id)
        #expect(afterRestart.header("Idempotent-Replayed") == "true")
    }

    @Test("an engine created under a key on one replica is not created twice by a retry on the other")
    func engineRetryOnTheOtherReplica() async throws {
        let url = try await ReplicaSupport.migratedDatabase()
        let users = APITestConfiguration.users(1)
        let a = try await ReplicaSupport.startReplica(users: users, url: url)
        let b = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { await a.stop(); await b.stop() } }
        let context = try await a.client(users[0]).createContext(thread: "engine-key")
        let body = #"{"context_id": "\#(context)"}"#
        let key = [("Idempotency-Key", "engine-key-1")]
        let first = try await a.client(users[0]).call("POST", "/v1/engines", json: body, headers: key)
        #expect(first.status == 201, "\(first.text)")
        let retry = try await b.client(users[0]).call("POST", "/v1/engines", json: body, headers: key)
        #expect(retry.status == 201)
        #expect(retry.string("id") == first.string("id"))
        #expect(retry.header("Idempotent-Replayed") == "true")
        // One slot taken, not two: a second engine still fits the limit of two.
        let another = try await b.client(users[0]).createContext(thread: "engine-key-2")
        #expect(try await b.client(users[0]).call("POST", "/v1/engines", json: #"{"context_id": "\#(another)"}"#).status == 201)
    }
}
