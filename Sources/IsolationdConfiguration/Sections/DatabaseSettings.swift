/// The `database` section (issue 13): where the state replicas share lives. Without a URL the
/// service keeps everything in memory (the embedded default, one process); with one, engine
/// slots, contexts, idempotency records, the event journal and run records live in PostgreSQL,
/// shared by every replica using it.
///
/// The URL is a secret (it may carry a password): it can come from a file mounted as a secret
/// (`url_file`, env `ISOLATIOND_DATABASE__URL_FILE`), and the effective configuration shows it
/// with its password redacted.
public struct DatabaseSettings: Sendable, Equatable {
    /// libpq connection string (`postgresql://…` or `key=value …`); nil: in-memory stores.
    public var url: String?
    /// Connections per replica.
    public var poolSize = 4
    /// `statement_timeout` of every connection.
    public var statementTimeoutMilliseconds = 5_000
    public var connectTimeoutSeconds = 5.0
    /// Queries that may wait for a connection, and how long one may wait, before a 503.
    public var maxWaiting = 1_024
    public var queueTimeoutMilliseconds = 2_000
    /// A replica that dies (kill -9) has its engine slots released by the others within this
    /// long (its lease; renewed every third of it).
    public var leaseSeconds = 15.0
    /// This replica's name in the database (leases, slots); default: host name and a random
    /// suffix, new at every start. A fixed name must be unique among the running replicas; a
    /// replica starting under its old name drops the slots of its previous life.
    public var replicaID: String?
    /// Events older than this are deleted by the retention task (a client resuming from an
    /// older id gets a gap); event ids are never reused however many are deleted.
    public var eventRetentionSeconds = 86_400.0
    /// Ended runs' records older than this are deleted; live runs are always kept.
    public var runRetentionSeconds = 604_800.0
    /// How often one replica's retention task deletes a bounded batch of old events, run records
    /// and expired idempotency keys (again at once while a batch comes back full).
    public var retentionIntervalSeconds = 60.0

    public init() {}

    public var isEnabled: Bool { url != nil }
}

extension DatabaseSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        let direct = try o.optionalString("url")
        let file = try o.optionalString("url_file")
        switch (direct, file) {
        case (_?, _?):
            throw o.error("url_file", "must not be set together with database.url (one source for the URL)")
        case (let url?, nil):
            self.url = url
        case (nil, let path?):
            let bytes = try ConfigurationFile.read(path)
            let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
            guard !text.isEmpty else { throw o.error("url_file", "names \(path), which is empty") }
            self.url = text
        case (nil, nil):
            break
        }
        o.record("url", url.map { .string(Self.redactingPassword($0)) } ?? .null)
        poolSize = try o.int("pool_size", default: poolSize, min: 1, max: 64)
        statementTimeoutMilliseconds = try o.int("statement_timeout_ms", default: statementTimeoutMilliseconds, min: 1, max: 600_000)
        connectTimeoutSeconds = try o.seconds("connect_timeout_seconds", default: connectTimeoutSeconds, allowZero: false)
        maxWaiting = try o.int("max_waiting", default: maxWaiting, min: 0, max: 1_000_000)
        queueTimeoutMilliseconds = try o.int("queue_timeout_ms", default: queueTimeoutMilliseconds, min: 1, max: 600_000)
        leaseSeconds = try o.seconds("lease_seconds", default: leaseSeconds, allowZero: false)
        guard leaseSeconds >= 1 else { throw o.error("lease_seconds", "must be at least 1 second") }
        replicaID = try o.optionalString("replica_id")
        if let replicaID, replicaID.utf8.count > 128 || replicaID.utf8.contains(where: { $0 < 0x21 || $0 > 0x7E }) {
            throw o.error("replica_id", "must be 1-128 visible ASCII characters")
        }
        eventRetentionSeconds = try o.seconds("event_retention_seconds", default: eventRetentionSeconds, allowZero: false)
        runRetentionSeconds = try o.seconds("run_retention_seconds", default: runRetentionSeconds, allowZero: false)
        retentionIntervalSeconds = try o.seconds("retention_interval_seconds", default: retentionIntervalSeconds, allowZero: false)
        guard retentionIntervalSeconds >= 1 else { throw o.error("retention_interval_seconds", "must be at least 1 second") }
    }

    /// The URL with its password replaced by `<redacted>`: the user info of a URL
    /// (`postgresql://user:secret@host`) and a `password=` of the key-value form.
    static func redactingPassword(_ url: String) -> String {
        if let scheme = url.firstRange(of: "://") {
            let rest = url[scheme.upperBound...]
            guard let at = rest.lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return url }
            return String(url[..<rest.index(after: colon)]) + ConfigObject.redacted + String(rest[at...])
        }
        var words: [String] = []
        for word in url.split(separator: " ", omittingEmptySubsequences: false) {
            words.append(word.lowercased().hasPrefix("password=") ? "password=" + ConfigObject.redacted : String(word))
        }
        return words.joined(separator: " ")
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks (a secret file's newline).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
