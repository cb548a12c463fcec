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
