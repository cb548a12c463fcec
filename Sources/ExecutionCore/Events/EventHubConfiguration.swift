/// How the event hub bounds memory and what it sanitises (config section "events" and
/// "streams.max_per_user"). Every bound is a count or a byte size; nothing grows without one.
public struct EventHubConfiguration: Sendable {
    /// Events each user's log keeps for resume (`Last-Event-ID`).
    public var replayRingSize: Int
    /// Live events a subscriber may have waiting before it is cut off as a slow consumer.
    public var subscriberQueueCapacity: Int
    /// Open subscriptions per user; one more is refused with `tooManySubscribers`.
    public var maxSubscribersPerUser: Int
    /// What `publish` does to an event's `data` before anyone sees it.
    public var sanitizer: EventSanitizer.Configuration
    /// A user's log with no subscribers and no activity for this long may be evicted by
    /// `EventHub.evictIdleLogs()` (its last id is kept, see `EventHub`).
    public var idleLogRetention: Duration
    /// Independent lock domains for the user table. Users in different shards never contend.
    public var shardCount: Int

    public init(replayRingSize: Int = 1000,
                subscriberQueueCapacity: Int = 1000,
                maxSubscribersPerUser: Int = 10,
                sanitizer: EventSanitizer.Configuration = .init(),
                idleLogRetention: Duration = .seconds(3600),
                shardCount: Int = 64) {
        self.replayRingSize = max(1, replayRingSize)
        self.subscriberQueueCapacity = max(1, subscriberQueueCapacity)
        self.maxSubscribersPerUser = max(0, maxSubscribersPerUser)
        self.sanitizer = sanitizer
        self.idleLogRetention = idleLogRetention
        self.shardCount = max(1, shardCount)
    }
}
