#if canImport(Glibc)
import Glibc
#endif
import IsolationdTesting
import Testing

/// Engine quotas across replicas (issue 13, item 4): the per-user limit holds over two real
/// replicas on one database, atomically under concurrent requests, and a killed replica's slots
/// come back within its lease.
@Suite("Replicas on PostgreSQL: engine quotas", .enabled(if: ReplicaSupport.available), .serialized)
struct ReplicaQuotaTests {
    @Test("the per-user engine limit holds across two replicas, also when both are asked at once")
    func quotaAcrossReplicas() async throws {
        let url = try await ReplicaSupport.migratedDatabase()
        let users = APITestConfiguration.users(2)
        let a = try await ReplicaSupport.startReplica(users: users, url: url)
        let b = try await ReplicaSupport.startReplica(users: users, url: url)
        defer { Task { await a.stop(); await b.stop() } }

        // One engine on each replica fills the user's two slots; a third is refused on both.
        let onA = try await a.client(users[0]).createEngine(contextID: a.client(users[0]).createContext(thread: "quota-a"))
        _ = try await b.client(users[0]).createEngine(contextID: b.client(users[0]).createContext(thread: "quota-b"))
        for replica in [a, b] {
            let client = replica.client(users[0])
            let refused = try await client.call("POST", "/v1/engines", json: #"{"context_id": "\#(try await client.createContext(thread: "quota-x"))"}"#)
            #expect(refused.status == 429, "\(refused.text)")
            #expect(refused.header("Retry-After") != nil)
        }
        // Another user is not affected.
        _ = try await a.client(users[1]).createEngine(contextID: a.client(users[1]).createContext(thread: "other"))
        // A slot given back on A can be taken on B.
        #expect(try await a.client(users[0]).call("DELETE", "/v1/engines/\(onA)").status == 204)
        #expect(try await eventuallyCreates(b, users[0]))

        // The second user, twelve requests at once over both replicas: exactly one more slot
        // (they hold one already).
        var contexts: [(BinaryServer, String)] = []
        for index in 0..<12 {
            let replica = index.isMultiple(of: 2) ? a : b
            contexts.append((replica, try await replica.client(users[1]).createContext(thread: "race-\(index)")))
        }
        let statuses = await withTaskGroup(of: Int.self) { group in
            for (replica, context) in contexts {
                group.addTask {
                    (try? await replica.client(users[1]).call("POST", "/v1/engines", json: #"{"context_id": "\#(context)"}"#).status) ?? -1
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 201 }.count == 1, "statuses: \(statuses.sorted())")
        #expect(statuses.filter { $0 == 429 }.count == 11, "statuses: \(statuses.sorted())")
    }

    @Test("a replica killed with -9 has its slots released by the other within its lease")
    func killedReplicaReleasesSlots() async throws {
        let url = try await ReplicaSupport.migratedDatabase()
        let users = APITestConfiguration.users(1)
        let a = try await ReplicaSupport.startReplica(users: users, url: url, leaseSeconds: 2)
        let b = try await ReplicaSupport.startReplica(users: users, url: url, leaseSeconds: 2)
        defer { Task { await b.stop() } }
        let client = a.client(users[0])
        for index in 0..<2 { _ = try await client.createEngine(contextID: client.createContext(thread: "doomed-\(index)")) }
        let context = try await b.client(users[0]).createContext(thread: "survivor")
        #expect(try await b.client(users[0]).call("POST", "/v1/engines", json: #"{"context_id": "\#(context)"}"#).status == 429)

        let killedAt = ContinuousClock.now
        _ = await a.stop(signal: SIGKILL)
        // The lease is 2 s: rows expire 4/3 s after a renewal, checked by the others every 2/3 s.
        var created = false
        while !created, ContinuousClock.now - killedAt < .seconds(10) {
            created = try await b.client(users[0]).call("POST", "/v1/engines", json: #"{"context_id": "\#(context)"}"#).status == 201
            if !created { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(created, "the dead replica's slots were not released")
        let waited = ContinuousClock.now - killedAt
        // Within the lease (2 s), plus slack for the polling's pace and a loaded test machine
        // (the renewals run on Swift's cooperative pool, which parallel suites keep busy).
        #expect(waited < .seconds(4), "released after \(waited)")
    }

    private func eventuallyCreates(_ replica: BinaryServer, _ user: TestUser) async throws -> Bool {
        let client = replica.client(user)
        let context = try await client.createContext(thread: "again")
        let answer = try await client.call("POST", "/v1/engines", json: #"{"context_id": "\#(context)"}"#)
        return answer.status == 201
    }
}
