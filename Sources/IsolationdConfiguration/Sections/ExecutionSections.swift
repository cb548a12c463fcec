import ExecutionAPI

/// Reading the `contexts`, `factory` and `engines` sections into the API's settings values.
extension ContextSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        maxPerUser = try o.int("max_per_user", default: maxPerUser, min: 1)
        maxTotal = try o.int("max_total", default: maxTotal, min: 1)
        ttlSeconds = try o.seconds("ttl_seconds", default: ttlSeconds, allowZero: false)
        maxDepth = try o.int("max_depth", default: maxDepth, min: 0, max: 1000)
        maxJSONBytes = try o.int("max_json_bytes", default: maxJSONBytes, min: 2, max: 1 << 30)
        placeholderValues = try o.stringArray("placeholder_values", default: placeholderValues)
        reservedKeys = try o.stringArray("reserved_keys", default: reservedKeys)
    }
}

extension FactorySettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        maxEnginesPerUser = try o.int("max_engines_per_user", default: maxEnginesPerUser, min: 1)
        maxEnginesTotal = try o.int("max_engines_total", default: maxEnginesTotal, min: 1)
        perUserOverrides = try o.integerMap("per_user_overrides", min: 0)
        idleTimeoutSeconds = try o.seconds("idle_timeout_seconds", default: idleTimeoutSeconds, allowZero: false)
        maxLifetimeSeconds = try o.seconds("max_lifetime_seconds", default: maxLifetimeSeconds, allowZero: false)
        cleanupIntervalSeconds = try o.seconds("cleanup_interval_seconds", default: cleanupIntervalSeconds, allowZero: false)
        runGraceSeconds = try o.seconds("run_grace_seconds", default: runGraceSeconds, allowZero: true)
        shutdownDeadlineSeconds = try o.seconds("shutdown_deadline_seconds", default: shutdownDeadlineSeconds, allowZero: false)
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
        maxConcurrentRuns = try o.int("max_concurrent_runs", default: maxConcurrentRuns, min: 1)
        maxQueuedRuns = try o.int("max_queued_runs", default: maxQueuedRuns, min: 0)
        historySize = try o.int("history_size", default: historySize, min: 1)
        runTimeoutSeconds = try o.seconds("run_timeout_seconds", default: runTimeoutSeconds, allowZero: false)
        cancelGraceSeconds = try o.seconds("cancel_grace_seconds", default: cancelGraceSeconds, allowZero: true)
        maxAgentProcessesPerUser = try o.int("max_agent_processes_per_user", default: maxAgentProcessesPerUser, min: 1)
        maxRunInputBytes = try o.int("max_run_input_bytes", default: maxRunInputBytes, min: 2, max: 64 << 20)
        maxAgentDataBytes = try o.int("max_agent_data_bytes", default: maxAgentDataBytes, min: 2, max: 64 << 20)
    }
}
