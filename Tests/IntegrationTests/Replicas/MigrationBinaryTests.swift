import IsolationdTesting
import Testing

/// `isolationd migrate` and the schema check of `serve` (issue 13, item 3).
@Suite("Replicas on PostgreSQL: migrations", .enabled(if: ReplicaSupport.available), .serialized)
struct MigrationBinaryTests {
    @Test("serve refuses an unmigrated database and says to run migrate; migrate is idempotent and safe to run at once")
    func migrateThenServe() async throws {
        let url = try await ReplicaSupport.freshDatabase()
        let users = APITestConfiguration.users(1)
        do {
            _ = try await ReplicaSupport.startReplica(users: users, url: url)
            Issue.record("serve started on an unmigrated database")
        } catch let error as BinaryServer.StartError {
            #expect("\(error)".contains("isolationd migrate"), "\(error)")
        }
        // Two at once, then once more: each exits 0, and the schema ends current.
        async let first = ReplicaSupport.migrate(url: url)
        async let second = ReplicaSupport.migrate(url: url)
        let (one, two) = try await (first, second)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(two.status == 0, "\(two.stderr)")
        let again = try await ReplicaSupport.migrate(url: url)
        #expect(again.status == 0)
        #expect(again.stderr.contains("already current"), "\(again.stderr)")
        let replica = try await ReplicaSupport.startReplica(users: users, url: url)
        #expect(await replica.stop() == 0)
    }

    @Test("migrate without database.url exits 78 with a message")
    func migrateWithoutURL() async throws {
        let result = try await ExternalCommand.runDetached([BinaryServer.locateBinary(), "migrate", "--config",
                                                            APITestConfiguration.packageRoot + "/config/isolationd.json"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("database.url"))
    }
}
