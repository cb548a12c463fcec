/// The factory's limits and timeouts (the `factory` section of the config). Defaults are
/// SPEC.md §2's. One source for every timeout: engines get theirs from `engine`.
public struct FactoryConfiguration: Sendable, Equatable {
    /// Engines one user may hold at once, unless `perUserEngineLimits` says otherwise.
    public var maxEnginesPerUser: Int
    /// Engines held at once across all users.
    public var maxEnginesTotal: Int
    /// Per-user (or per-tier, resolved to users by the caller) overrides of `maxEnginesPerUser`.
    public var perUserEngineLimits: [String: Int]
    /// An engine without runs for this long is cleaned by the sweep.
    public var idleTimeout: Duration
    /// An engine this old accepts no new runs and is cleaned once its runs end.
    public var maxLifetime: Duration
    /// How long runs of an engine past its lifetime may still take before they are cancelled
    /// (reason `max_lifetime`).
    public var runGrace: Duration
    /// How often the background sweep runs.
    public var cleanupInterval: Duration
    /// How long `shutdown()` lets running runs finish before ending them (reason `shutdown`).
    public var shutdownDeadline: Duration
    /// Consecutive engine build failures that open the circuit breaker.
    public var breakerFailureThreshold: Int
    /// How long the open breaker refuses creations before letting one probe through.
    public var breakerCooldown: Duration
    /// How many cleaned engine ids are remembered so a repeated cleanup says "already cleaned".
    public var recentlyCleanedCapacity: Int
    /// Limits and timeouts of every engine.
    public var engine: EngineConfiguration

    public init(maxEnginesPerUser: Int = 2, maxEnginesTotal: Int = 1000, perUserEngineLimits: [String: Int] = [:],
                idleTimeout: Duration = .seconds(300), maxLifetime: Duration = .seconds(3600),
                runGrace: Duration = .seconds(30), cleanupInterval: Duration = .seconds(60),
                shutdownDeadline: Duration = .seconds(10), breakerFailureThreshold: Int = 5,
                breakerCooldown: Duration = .seconds(30), recentlyCleanedCapacity: Int = 4096,
                engine: EngineConfiguration = EngineConfiguration()) {
        self.maxEnginesPerUser = max(0, maxEnginesPerUser)
        self.maxEnginesTotal = max(0, maxEnginesTotal)
        self.perUserEngineLimits = perUserEngineLimits
        self.idleTimeout = idleTimeout.clampedForDeadlines
        self.maxLifetime = maxLifetime.clampedForDeadlines
        self.runGrace = runGrace.clampedForDeadlines
        self.cleanupInterval = cleanupInterval.clampedForDeadlines
        self.shutdownDeadline = shutdownDeadline.clampedForDeadlines
        self.breakerFailureThreshold = max(1, breakerFailureThreshold)
        self.breakerCooldown = breakerCooldown.clampedForDeadlines
        self.recentlyCleanedCapacity = max(0, recentlyCleanedCapacity)
        self.engine = engine
    }

    /// The engine limit that applies to `userID`.
    public func engineLimit(forUser userID: String) -> Int {
        perUserEngineLimits[userID].map { max(0, $0) } ?? maxEnginesPerUser
    }
}
