#if canImport(Glibc)
import Glibc
#endif
@testable import IsolationdConfiguration
import Testing

/// The `database` section (issue 13): off by default, the URL from the file, the environment or
/// a secret file, validated limits, and the password never shown.
@Suite("Database section")
struct DatabaseSectionTests {
    @Test("no database by default: the in-memory stores")
    func offByDefault() throws {
        let config = try ServiceConfiguration.parse("{}")
        #expect(config.database.url == nil)
        #expect(!config.database.isEnabled)
        #expect(config.database.leaseSeconds == 15)
        #expect(config.database.poolSize == 4)
        #expect(config.database.eventRetentionSeconds == 86_400)
        #expect(config.database.runRetentionSeconds == 604_800)
        #expect(config.database.retentionIntervalSeconds == 60)
        #expect(config.redacted["database"]?["event_retention_seconds"]?.doubleValue == 86_400, "check-config shows it")
    }

    @Test("every member is read; the URL's password is redacted in the effective view")
    func members() throws {
        let config = try ServiceConfiguration.parse("""
            {"database": {"url": "postgresql://isod:s3cret@127.0.0.1:5432/isod", "pool_size": 8, "statement_timeout_ms": 250,
             "connect_timeout_seconds": 2, "max_waiting": 10, "queue_timeout_ms": 100, "lease_seconds": 6, "replica_id": "r-1",
             "event_retention_seconds": 3600, "run_retention_seconds": 7200.5, "retention_interval_seconds": 5}}
            """)
        let database = config.database
        #expect(database.url == "postgresql://isod:s3cret@127.0.0.1:5432/isod")
        #expect(database.poolSize == 8)
        #expect(database.statementTimeoutMilliseconds == 250)
        #expect(database.connectTimeoutSeconds == 2)
        #expect(database.maxWaiting == 10)
        #expect(database.queueTimeoutMilliseconds == 100)
        #expect(database.leaseSeconds == 6)
        #expect(database.replicaID == "r-1")
        #expect(database.eventRetentionSeconds == 3600)
        #expect(database.runRetentionSeconds == 7200.5)
        #expect(database.retentionIntervalSeconds == 5)
        #expect(config.redacted["database"]?["retention_interval_seconds"]?.doubleValue == 5)
        #expect(config.redacted["database"]?["url"]?.stringValue == "postgresql://isod:<redacted>@127.0.0.1:5432/isod")
        #expect(!"\(config.redacted)".contains("s3cret"))
    }

    @Test("the key-value form's password is redacted; a URL without one is shown as it is")
    func redaction() {
        #expect(DatabaseSettings.redactingPassword("host=/tmp dbname=isod password=hunter2 user=isod")
                == "host=/tmp dbname=isod password=<redacted> user=isod")
        #expect(DatabaseSettings.redactingPassword("postgresql://isod@db/isod") == "postgresql://isod@db/isod")
        #expect(DatabaseSettings.redactingPassword("postgresql://u:p%40ss@db:5432/x?sslmode=require")
                == "postgresql://u:<redacted>@db:5432/x?sslmode=require")
    }

    @Test("ISOLATIOND_DATABASE__URL and ISOLATIOND_DATABASE__URL_FILE set it; the file's newline is trimmed")
    func environmentAndFile() throws {
        let fromEnvironment = try ServiceConfiguration.parse("{}", environment: ["ISOLATIOND_DATABASE__URL": "postgresql:///isod"])
        #expect(fromEnvironment.database.url == "postgresql:///isod")
        let retention = try ServiceConfiguration.parse("{}", environment: ["ISOLATIOND_DATABASE__EVENT_RETENTION_SECONDS": "120",
                                                                            "ISOLATIOND_DATABASE__RETENTION_INTERVAL_SECONDS": "2"])
        #expect(retention.database.eventRetentionSeconds == 120)
        #expect(retention.database.retentionIntervalSeconds == 2)

        var template = Array("/tmp/isod-db-url-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        let text = Array("postgresql://isod:from-file@db/isod\n".utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let fromFile = try ServiceConfiguration.parse("{}", environment: ["ISOLATIOND_DATABASE__URL_FILE": path])
        #expect(fromFile.database.url == "postgresql://isod:from-file@db/isod")
        #expect(fromFile.redacted["database"]?["url"]?.stringValue == "postgresql://isod:<redacted>@db/isod")
    }

    @Test("bad values name their key", arguments: [
        (#"{"database": {"url": "a", "url_file": "/x"}}"#, "database.url_file"),
        (#"{"database": {"url_file": "/nonexistent/isod-url"}}"#, "nonexistent"),
        (#"{"database": {"pool_size": 0}}"#, "database.pool_size"),
        (#"{"database": {"lease_seconds": 0.5}}"#, "database.lease_seconds"),
        (#"{"database": {"replica_id": "has space"}}"#, "database.replica_id"),
        (#"{"database": {"event_retention_seconds": 0}}"#, "database.event_retention_seconds"),
        (#"{"database": {"run_retention_seconds": -1}}"#, "database.run_retention_seconds"),
        (#"{"database": {"retention_interval_seconds": 0.5}}"#, "database.retention_interval_seconds"),
        (#"{"database": {"url": ""}}"#, "database.url"),
        (#"{"database": {"colour": "blue"}}"#, "database.colour"),
    ])
    func refusals(text: String, named: String) {
        let error = configurationError(text)
        #expect(error != nil)
        #expect(error?.message.contains(named) == true, "\(error?.message ?? "none")")
    }
}
