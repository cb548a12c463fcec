/// How a `PostgresPool` connects and how much it queues. Plain values: the caller (the
/// executable's configuration) validates them; the pool only clamps what would break it.
public struct PostgresConfiguration: Sendable {
    /// A libpq conninfo string (`host=... dbname=...`) or a `postgresql://` URL.
    public var url: String
    /// Connections that carry queries (a LISTEN connection, when used, comes on top).
    public var poolSize: Int = 4
    /// Set as `statement_timeout` on every connection: a statement running longer fails `.timeout`.
    public var statementTimeout: Duration = .seconds(5)
    /// One connection attempt (TCP, TLS, authentication, setup) longer than this is abandoned.
    public var connectTimeout: Duration = .seconds(5)
    /// Queries held in the pool's queue while every connection's pipeline is full; one more
    /// fails `.poolExhausted` at once.
    public var maxWaiting: Int = 1024
    /// A queued query still waiting after this long fails `.poolExhausted`.
    public var queueTimeout: Duration = .seconds(2)
    /// Statements one connection carries at once (sent, answer not yet read). Deeper pipelines
    /// batch more per round trip; a slow statement delays those queued behind it on its connection.
    public var pipelineDepth: Int = 64
    /// Delay before a lost or failed connection is tried again: doubles from `initial` up to
    /// `max`, with up to a quarter of random jitter so replicas do not reconnect in step.
    public var reconnectBackoff: ReconnectBackoff = ReconnectBackoff()

    public init(url: String) {
        self.url = url
    }
}

/// The reconnect delays of `PostgresConfiguration.reconnectBackoff`.
public struct ReconnectBackoff: Sendable, Hashable {
    public var initial: Duration
    public var max: Duration

    public init(initial: Duration = .milliseconds(100), max: Duration = .seconds(5)) {
        self.initial = initial
        self.max = max
    }

    /// The delay before attempt number `failures` (1 = the first retry), jitter included.
    func delay(afterFailures failures: Int) -> Duration {
        let initialNanoseconds = Swift.max(initial.nanoseconds, 1_000_000)
        let maxNanoseconds = Swift.max(max.nanoseconds, initialNanoseconds)
        let exponent = Swift.min(Swift.max(failures - 1, 0), 30)
        let base = Swift.min(initialNanoseconds << exponent, maxNanoseconds)
        let jitter = Int64.random(in: 0...(base / 4))
        return .nanoseconds(base - base / 8 + jitter)
    }
}

extension Duration {
    /// Whole nanoseconds (saturating), for deadlines on the monotonic clock.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        return scaled &+ attoseconds / 1_000_000_000
    }

    /// Whole milliseconds, at least 0 (for `statement_timeout`, and the stores' intervals).
    public var milliseconds: Int64 { Swift.max(nanoseconds / 1_000_000, 0) }
}
