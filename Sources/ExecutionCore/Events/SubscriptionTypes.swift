/// Why a subscription ended. Delivered once, after every event queued before it.
public enum SubscriptionTermination: String, Sendable, Hashable {
    /// The subscriber's queue filled up: it fell too far behind. It may resume with the last id
    /// it saw (replay from the ring).
    case slowConsumer = "slow_consumer"
    /// The hub is shutting down (`terminateAll(reason: .shutdown)`).
    case shutdown
    /// The consumer called `cancel()`.
    case cancelled
    /// The replay could not be read from the hub's journal (the database is down): the
    /// subscriber may try again with the same cursor.
    case unavailable
}

/// Why a subscription could not be made.
public enum SubscriptionError: Error, Sendable, Hashable {
    /// The user already has `limit` open subscriptions (HTTP 429).
    case tooManySubscribers(limit: Int)
    /// The hub has been shut down and takes no new subscriptions (HTTP 503).
    case shuttingDown
}

/// Events the subscriber asked for that are no longer available, announced before any event.
public struct EventGap: Sendable, Hashable {
    /// The `after` cursor the subscriber resumed from.
    public var requestedAfter: UInt64
    /// The oldest id still available; the next events delivered start at or after it.
    public var firstAvailableID: UInt64
    /// How many of the user's events were lost (before filtering). nil when the cursor is newer
    /// than anything this log has issued (a cursor from before a server restart): what it
    /// missed cannot be known, so every retained event is replayed.
    public var lostCount: UInt64?

    public init(requestedAfter: UInt64, firstAvailableID: UInt64, lostCount: UInt64?) {
        self.requestedAfter = requestedAfter
        self.firstAvailableID = firstAvailableID
        self.lostCount = lostCount
    }
}

/// What one `EventSubscription.next` call hands over, in order: the gap (at most once, first),
/// then events by ascending id, then — once nothing else is left — the termination reason.
public struct EventBatch: Sendable {
    public var gap: EventGap?
    /// In id order; `event.json` is the serialized envelope, `event.envelope` all its fields.
    public var events: [PublishedEvent]
    /// Set when the subscription has ended and every event before the end has been handed out.
    /// Later calls return it again with no events.
    public var termination: SubscriptionTermination?
    /// More items are waiting (the batch was limited by `maxEvents`): call `next` again; no wake
    /// comes for items that were already waiting.
    public var hasMore: Bool
    /// The replay is still being read from the hub's journal: nothing is handed out yet, and a
    /// wake comes when it is there.
    public var replayPending: Bool

    public init(gap: EventGap? = nil, events: [PublishedEvent] = [], termination: SubscriptionTermination? = nil,
                hasMore: Bool = false, replayPending: Bool = false) {
        self.gap = gap
        self.events = events
        self.termination = termination
        self.hasMore = hasMore
        self.replayPending = replayPending
    }

    public var isEmpty: Bool { gap == nil && events.isEmpty && termination == nil }
}
