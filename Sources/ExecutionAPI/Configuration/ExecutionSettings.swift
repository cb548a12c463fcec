/// `contexts`: the per-user registry of execution contexts and their validation data.
public struct ContextSettings: Sendable, Equatable {
    public var maxPerUser = 100
    public var maxTotal = 100_000
    public var ttlSeconds: Double = 3600
    /// The deepest child context allowed (root is 0).
    public var maxDepth = 10
    /// The largest serialized `agent_context` / `audit_metadata`.
    public var maxJSONBytes = 65_536
    /// Id values refused as placeholders (whole value, case-insensitive, optionally + `_`/`-` digits).
    public var placeholderValues = ["registry", "placeholder", "default", "temp", "none", "null", "undefined",
                                    "0", "1", "xxx", "yyy", "example", "test", "demo", "sample", "template",
                                    "mock", "fake", "dummy"]
    /// Keys refused inside `agent_context` and `audit_metadata`.
    public var reservedKeys = ["user_id", "thread_id", "run_id", "request_id", "created_at",
                               "websocket_client_id", "operation_depth", "parent_request_id"]
    public init() {}
}

/// `factory`: engine creation limits, timeouts, sweep and circuit breaker.
public struct FactorySettings: Sendable, Equatable {
    public var maxEnginesPerUser = 2
    public var maxEnginesTotal = 1000
    /// Per-user limits replacing `maxEnginesPerUser` for the users named (0 forbids engines).
    public var perUserOverrides: [String: Int] = [:]
    public var idleTimeoutSeconds: Double = 300
    public var maxLifetimeSeconds: Double = 3600
    public var cleanupIntervalSeconds: Double = 60
    /// How long runs of an expired engine may still take before they are cancelled.
    public var runGraceSeconds: Double = 30
    public var shutdownDeadlineSeconds: Double = 10
    public var breaker = Breaker()
    public init() {}

    /// `factory.breaker`: opens after consecutive engine build failures.
    public struct Breaker: Sendable, Equatable {
        public var failureThreshold = 5
        public var cooldownSeconds: Double = 30
        public init() {}
    }

    /// The engine limit for `userID`.
    public func engineLimit(for userID: String) -> Int { perUserOverrides[userID] ?? maxEnginesPerUser }
}

/// `engines`: per-engine run concurrency, queue, history and timeouts.
public struct EngineSettings: Sendable, Equatable {
    public var maxConcurrentRuns = 3
    public var maxQueuedRuns = 10
    public var historySize = 100
    /// Default per-run timeout (an agent may set its own).
    public var runTimeoutSeconds: Double = 30
    /// SIGTERM to SIGKILL on cancel.
    public var cancelGraceSeconds: Double = 2
    public init() {}
}

extension ContextSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        let d = ContextSettings()
        maxPerUser = try o.int("max_per_user", default: d.maxPerUser, min: 1)
        maxTotal = try o.int("max_total", default: d.maxTotal, min: 1)
        ttlSeconds = try o.seconds("ttl_seconds", default: d.ttlSeconds, allowZero: false)
        maxDepth = try o.int("max_depth", default: d.maxDepth, min: 0, max: 1000)
        maxJSONBytes = try o.int("max_json_bytes", default: d.maxJSONBytes, min: 2, max: 1 << 30)
        placeholderValues = try o.stringArray("placeholder_values", default: d.placeholderValues)
        reservedKeys = try o.stringArray("reserved_keys", default: d.reservedKeys)
    }
}

extension FactorySettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        let d = FactorySettings()
        maxEnginesPerUser = try o.int("max_engines_per_user", default: d.maxEnginesPerUser, min: 1)
        maxEnginesTotal = try o.int("max_engines_total", default: d.maxEnginesTotal, min: 1)
        perUserOverrides = try o.integerMap("per_user_overrides", min: 0)
        idleTimeoutSeconds = try o.seconds("idle_timeout_seconds", default: d.idleTimeoutSeconds, allowZero: false)
        maxLifetimeSeconds = try o.seconds("max_lifetime_seconds", default: d.maxLifetimeSeconds, allowZero: false)
        cleanupIntervalSeconds = try o.seconds("cleanup_interval_seconds", default: d.cleanupIntervalSeconds, allowZero: false)
        runGraceSeconds = try o.seconds("run_grace_seconds", default: d.runGraceSeconds, allowZero: true)
        shutdownDeadlineSeconds = try o.seconds("shutdown_deadline_seconds", default: d.shutdownDeadlineSeconds, allowZero: false)
        breaker = try o.section("breaker") { (b: inout ConfigObject) throws(ConfigurationError) in
            var v = Breaker()
            v.failureThreshold = try b.int("failure_threshold", default: v.failureThreshold, min: 1)
            v.cooldownSeconds = try b.seconds("cooldown_seconds", default: v.cooldownSeconds, allowZero: false)
            return v
        }
    }
}

extension EngineSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        let d = EngineSettings()
        maxConcurrentRuns = try o.int("max_concurrent_runs", default: d.maxConcurrentRuns, min: 1)
        maxQueuedRuns = try o.int("max_queued_runs", default: d.maxQueuedRuns, min: 0)
        historySize = try o.int("history_size", default: d.historySize, min: 1)
        runTimeoutSeconds = try o.seconds("run_timeout_seconds", default: d.runTimeoutSeconds, allowZero: false)
        cancelGraceSeconds = try o.seconds("cancel_grace_seconds", default: d.cancelGraceSeconds, allowZero: true)
    }
}
