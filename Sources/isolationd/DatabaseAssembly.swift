#if canImport(Glibc)
import Glibc
#endif
import ExecutionAPI
import ExecutionCore
import IsolationdConfiguration
import Logging
import PostgresClient
import PostgresStore

/// The service on PostgreSQL (`database.url` set, issue 13): the pool, the schema check, this
/// replica's lease, and the shared stores handed to the core. Without a URL nothing here runs.
struct RunningDatabase: Sendable {
    let pool: PostgresPool
    let lease: ReplicaLease
    let retention: PostgresRetention
    let stores: SharedStores

    /// Stops retention and the lease (deleting this replica's row) and closes the pool.
    func stop() async {
        await retention.stop()
        await lease.stop()
        pool.shutdown()
    }
}

enum DatabaseAssembly {
    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func configuration(_ settings: DatabaseSettings, url: String) -> PostgresConfiguration {
        var configuration = PostgresConfiguration(url: url)
        configuration.poolSize = settings.poolSize
        configuration.statementTimeout = .milliseconds(settings.statementTimeoutMilliseconds)
        configuration.connectTimeout = .milliseconds(Int64(settings.connectTimeoutSeconds * 1000))
        configuration.maxWaiting = settings.maxWaiting
        configuration.queueTimeout = .milliseconds(settings.queueTimeoutMilliseconds)
        return configuration
    }

    /// Checks the schema (refusing one older than this binary needs), opens the pool, registers
    /// this replica and makes the shared stores.
    static func start(_ configuration: ServiceConfiguration, logger: Logger) async throws -> RunningDatabase? {
        let settings = configuration.database
        guard let url = settings.url else { return nil }
        let version: Int
        do {
            version = try MigrationRunner.currentVersion(url: url)
        } catch {
            throw StartFailure(description: "database: cannot read the schema version: \(error)")
        }
        guard version >= IsolationdSchema.requiredVersion else {
            throw StartFailure(description: "database: the schema is at version \(version), this binary needs \(IsolationdSchema.requiredVersion): run `isolationd migrate` first")
        }
        let pool = try PostgresPool(configuration: Self.configuration(settings, url: url), logger: Logger(label: "isolationd.database"))
        let replicaID = settings.replicaID ?? defaultReplicaID()
        let slots = PostgresEngineSlots(pool: pool, replicaID: replicaID, logger: logger)
        let idempotency = PostgresIdempotencyStore(pool: pool, replicaID: replicaID,
                                                   ttl: .seconds(configuration.service.idempotency.ttlSeconds),
                                                   maxKeysPerUser: configuration.service.idempotency.maxKeysPerUser, logger: logger)
        let contextSettings = configuration.service.contexts
        let contexts = PostgresContextStore(pool: pool, maxPerUser: contextSettings.maxPerUser,
                                            maxTotal: contextSettings.maxTotal, logger: logger)
        let lease = ReplicaLease(replicaID: replicaID, duration: .milliseconds(Int64(settings.leaseSeconds * 1000)),
                                 pool: pool, slots: slots, logger: logger)
        do {
            try await lease.start()
        } catch {
            pool.shutdown()
            throw StartFailure(description: "database: cannot register this replica: \(error)")
        }
        let events = PostgresEventJournal(pool: pool, replicaID: replicaID, logger: logger)
        let retention = PostgresRetention(pool: pool, eventAge: .milliseconds(Int64(settings.eventRetentionSeconds * 1000)),
                                          runAge: .milliseconds(Int64(settings.runRetentionSeconds * 1000)),
                                          interval: .milliseconds(Int64(settings.retentionIntervalSeconds * 1000)), logger: logger)
        retention.start()
        logger.info("shared state in PostgreSQL", metadata: ["replica_id": .string(replicaID), "schema_version": .stringConvertible(version)])
        return RunningDatabase(pool: pool, lease: lease, retention: retention,
                               stores: SharedStores(slots: slots, idempotency: idempotency, contexts: contexts, events: events))
    }

    /// The host name and a random suffix: unique per start, so a restarted replica never takes
    /// over the slots of its previous life (those go with that life's lease).
    static func defaultReplicaID() -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "replica"
        return host + "-" + String(RandomIdentifier.uuid().prefix(8))
    }
}
