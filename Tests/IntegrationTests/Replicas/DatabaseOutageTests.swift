import IsolationdTesting
import PostgresTesting
import Testing

/// The database stopped and started under a running replica (issue 13, item 5): readiness 503
/// with the reason, liveness 200, requests that need it 503 problem+json with Retry-After, and
/// recovery without a restart.
@Suite("Replicas on PostgreSQL: database outage", .enabled(if: ReplicaSupport.canLaunch), .serialized)
struct DatabaseOutageTests {
    @Test("database down: /readyz 503 with the reason, /livez 200, engine creation 503; back: ready and working again")
    func outageAndRecovery() async throws {
        // A cluster of this test's own: stopping the shared one would pull it from under the
        // suites running beside this one.
        let cluster = try await ReplicaSupport.launchCluster()
        let url = try await ReplicaSupport.migratedDatabase(on: cluster)
        let users = APITestConfiguration.users(1)
        let replica = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { await replica.stop() } }
        let client = replica.client(users[0])
        let context = try await client.createContext(thread: "outage")
        #expect(try await client.call("GET", "/readyz", authenticated: false).status == 200)

        try await BlockingIO.run { try cluster.stop() }
        #expect(await eventuallyAsync(within: .seconds(15)) {
            (try? await client.call("GET", "/readyz", authenticated: false).status) == 503
        })
        let verbose = try await client.call("GET", "/readyz?verbose", authenticated: false)
        #expect(verbose.status == 503)
        #expect(verbose.text.contains("[-]database"), "\(verbose.text)")
        #expect(try await client.call("GET", "/livez", authenticated: false).status == 200)
        let refused = try await client.call("POST", "/v1/engines", json: #"{"context_id": "\#(context)"}"#)
        #expect(refused.status == 503, "\(refused.text)")
        #expect(refused.contentType == "application/problem+json")
        #expect(refused.header("Retry-After") != nil)
        #expect(refused.string("type")?.hasSuffix("database-unavailable") == true, "\(refused.text)")
        // Contexts live in the database (shared by the replicas): reading one is 503 too.
        let read = try await client.call("GET", "/v1/contexts/\(context)")
        #expect(read.status == 503, "\(read.text)")
        #expect(read.string("type")?.hasSuffix("database-unavailable") == true, "\(read.text)")
        // What does not need the database still works.
        #expect(try await client.call("GET", "/v1/engines").status == 200)

        try await BlockingIO.run { try cluster.start() }
        #expect(await eventuallyAsync(within: .seconds(20)) {
            (try? await client.call("GET", "/readyz", authenticated: false).status) == 200
        })
        let created = try await client.call("POST", "/v1/engines", json: #"{"context_id": "\#(context)"}"#)
        #expect(created.status == 201, "\(created.text)")
        #expect(try await client.call("GET", "/v1/contexts/\(context)").status == 200)
    }
}
