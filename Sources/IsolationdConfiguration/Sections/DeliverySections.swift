import ExecutionAPI

/// Reading the `events`, `streams` and `idempotency` sections into the API's settings values.
extension EventSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        replayRingSize = try o.int("replay_ring_size", default: replayRingSize, min: 1, max: 10_000_000)
        subscriberQueueSize = try o.int("subscriber_queue_size", default: subscriberQueueSize, min: 1, max: 10_000_000)
        maxStringBytes = try o.int("max_string_bytes", default: maxStringBytes, min: 16)
        maxArrayItems = try o.int("max_array_items", default: maxArrayItems, min: 1)
        redactKeys = try o.stringArray("redact_keys", default: redactKeys)
    }
}

extension StreamSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        maxPerUser = try o.int("max_per_user", default: maxPerUser, min: 1)
        heartbeatSeconds = try o.seconds("heartbeat_seconds", default: heartbeatSeconds, allowZero: false)
        retryMilliseconds = try o.int("retry_milliseconds", default: retryMilliseconds, min: 0, max: 86_400_000)
    }
}

extension IdempotencySettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        ttlSeconds = try o.seconds("ttl_seconds", default: ttlSeconds, allowZero: false)
        maxKeysPerUser = try o.int("max_keys_per_user", default: maxKeysPerUser, min: 1)
    }
}
