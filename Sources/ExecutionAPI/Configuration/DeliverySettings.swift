/// `events`: the per-user event log and what is sanitised before fan-out.
public struct EventSettings: Sendable, Equatable {
    /// Events kept per user for resume (`Last-Event-ID`).
    public var replayRingSize = 1000
    /// Events queued per subscriber before a slow one is cut off.
    public var subscriberQueueSize = 1000
    public var maxStringBytes = 16_384
    public var maxArrayItems = 1000
    /// Keys whose values are redacted in event data (case-insensitive substring match).
    public var redactKeys = ["password", "secret", "token", "api_key", "authorization", "credential"]
    public init() {}
}

/// `streams`: SSE and WebSocket subscriptions.
public struct StreamSettings: Sendable, Equatable {
    public var maxPerUser = 10
    /// `: ping` comment interval on quiet SSE streams.
    public var heartbeatSeconds: Double = 15
    /// The SSE `retry:` hint.
    public var retryMilliseconds = 3000
    public init() {}
}

/// `idempotency`: `Idempotency-Key` replay store.
public struct IdempotencySettings: Sendable, Equatable {
    public var ttlSeconds: Double = 86_400
    public var maxKeysPerUser = 1000
    public init() {}
}

extension EventSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
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
        let d = StreamSettings()
        maxPerUser = try o.int("max_per_user", default: d.maxPerUser, min: 1)
        heartbeatSeconds = try o.seconds("heartbeat_seconds", default: d.heartbeatSeconds, allowZero: false)
        retryMilliseconds = try o.int("retry_milliseconds", default: d.retryMilliseconds, min: 0, max: 86_400_000)
    }
}

extension IdempotencySettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        let d = IdempotencySettings()
        ttlSeconds = try o.seconds("ttl_seconds", default: d.ttlSeconds, allowZero: false)
        maxKeysPerUser = try o.int("max_keys_per_user", default: d.maxKeysPerUser, min: 1)
    }
}
