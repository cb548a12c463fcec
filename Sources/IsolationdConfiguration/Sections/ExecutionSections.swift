import ExecutionAPI

/// Reading the `contexts`, `factory` and `engines` sections into the API's settings values.
extension ContextSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
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
        self.init()
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
        self.init()
        let d = EngineSettings()
        maxConcurrentRuns = try o.int("max_concurrent_runs", default: d.maxConcurrentRuns, min: 1)
        maxQueuedRuns = try o.int("max_queued_runs", default: d.maxQueuedRuns, min: 0)
        historySize = try o.int("history_size", default: d.historySize, min: 1)
        runTimeoutSeconds = try o.seconds("run_timeout_seconds", default: d.runTimeoutSeconds, allowZero: false)
        cancelGraceSeconds = try o.seconds("cancel_grace_seconds", default: d.cancelGraceSeconds, allowZero: true)
    }
}
