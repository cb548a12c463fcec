import ExecutionAPI

/// Reading the `events`, `streams` and `idempotency` sections into the API's settings values.
extension EventSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        let d = EventSettings()
        replayRingSize = try o.int("replay_ring_size", default: d.replayRingSize, min: 1, max: 10_000_000)
        subscriberQueueSize = try o.int("subscriber_queue_size", default: d.subscriberQueueSize, min: 1, max: 10_000_000)
        maxStringBytes = try o.int("max_string_bytes", default: d.maxStringBytes, min: 16)
        maxArrayItems = try o.int("max_array_items", default: d.maxArrayItems, min: 1)
        redactKeys = try o.stringArray("redact_keys", default: d.redactKeys)
    }
}

extension StreamSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        let d = StreamSettings()
        maxPerUser = try o.int("max_per_user", default: d.maxPerUser, min: 1)
        heartbeatSeconds = try o.seconds("heartbeat_seconds", default: d.heartbeatSeconds, allowZero: false)
        retryMilliseconds = try o.int("retry_milliseconds", default: d.retryMilliseconds, min: 0, max: 86_400_000)
    }
}

extension IdempotencySettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        let d = IdempotencySettings()
        ttlSeconds = try o.seconds("ttl_seconds", default: d.ttlSeconds, allowZero: false)
        maxKeysPerUser = try o.int("max_keys_per_user", default: d.maxKeysPerUser, min: 1)
    }
}
