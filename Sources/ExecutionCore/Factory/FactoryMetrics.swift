/// The factory's figures at one instant (SPEC.md §2). Counters each change in exactly one place;
/// `activeEnginesCount` and `perUserActive` are read from the engine registry, never cached.
public struct FactoryMetrics: Sendable, Equatable {
    public var totalEnginesCreated = 0
    public var totalEnginesCleaned = 0
    public var activeEnginesCount = 0
    /// Invalid contexts and failed builds.
    public var creationErrors = 0
    /// Cleanups that found the accounting inconsistent (a slot to release that was not held).
    public var cleanupErrors = 0
    /// Engines cleaned by the sweep (idle or past their lifetime).
    public var timeoutCleanups = 0
    public var userLimitRejections = 0
    public var globalLimitRejections = 0
    public var breakerRejections = 0
    /// Background (or explicit) sweeps completed.
    public var sweepsCompleted = 0
    /// Engines per user, for users holding at least one.
    public var perUserActive: [String: Int] = [:]
    public var breakerState: CircuitBreakerState = .closed

    public init() {}

    /// Snake-case JSON (per-user counts as an object: they are counts, never metric labels).
    public var jsonValue: JSONValue {
        .object([
            "total_engines_created": .integer(Int64(totalEnginesCreated)),
            "total_engines_cleaned": .integer(Int64(totalEnginesCleaned)),
            "active_engines_count": .integer(Int64(activeEnginesCount)),
            "creation_errors": .integer(Int64(creationErrors)),
            "cleanup_errors": .integer(Int64(cleanupErrors)),
            "timeout_cleanups": .integer(Int64(timeoutCleanups)),
            "user_limit_rejections": .integer(Int64(userLimitRejections)),
            "global_limit_rejections": .integer(Int64(globalLimitRejections)),
            "breaker_rejections": .integer(Int64(breakerRejections)),
            "sweeps_completed": .integer(Int64(sweepsCompleted)),
            "users_with_engines": .integer(Int64(perUserActive.count)),
            "per_user_active": .object(perUserActive.mapValues { .integer(Int64($0)) }),
            "breaker_state": .string(breakerState.rawValue),
        ])
    }
}
