import Synchronization

/// A slice of the user table with its own lock and counters. A user always maps to the same
/// shard; the shard lock is held only to find or evict a user's channel, never while publishing.
final class EventHubShard: Sendable {
    struct Table {
        var channels: [String: UserEventChannel] = [:]
        /// The channel used last: a user publishing a run's events finds it without hashing.
        var recent: UserEventChannel?
        /// Last ids of evicted users, so a user's ids never restart within the process.
        var retiredLastIDs: [String: UInt64] = [:]
    }

    let table = VisibleMutex(Table())
    let published = Atomic<UInt64>(0)
    let delivered = Atomic<UInt64>(0)
    let slowConsumerCutoffs = Atomic<UInt64>(0)
    let liveSubscribers = Atomic<Int>(0)
    let retainedEvents = Atomic<Int>(0)
    let evictedLogs = Atomic<UInt64>(0)

    /// The user's channel, made (continuing any earlier id sequence) when absent.
    func channel(for userID: String, makeLog: EventLogFactory, now: Timestamp) -> UserEventChannel {
        table.withLock { table in
            if let recent = table.recent, recent.userID == userID { return recent }
            if let channel = table.channels[userID] {
                table.recent = channel
                return channel
            }
            let lastID = table.retiredLastIDs.removeValue(forKey: userID) ?? 0
            let channel = UserEventChannel(userID: userID, log: makeLog(userID, lastID), now: now)
            table.channels[userID] = channel
            table.recent = channel
            return channel
        }
    }
}

/// Hub-wide figures for metrics and the API. Gauges are read from live state, not cached.
public struct EventHubStatistics: Sendable, Hashable {
    /// Events accepted by `publish`.
    public var published: UInt64
    /// Events placed in a subscriber queue (live deliveries; replays are not counted).
    public var delivered: UInt64
    /// Subscriptions cut off because their queue was full.
    public var slowConsumerCutoffs: UInt64
    /// Open subscriptions now.
    public var liveSubscribers: Int
    /// Users with a log in memory now.
    public var userLogs: Int
    /// Events retained in all replay rings now.
    public var retainedEvents: Int
    /// User logs evicted as idle so far.
    public var evictedLogs: UInt64
}

/// One user's log position, for the API (`/v1/events` metadata) and tests.
public struct EventLogInfo: Sendable, Hashable {
    public var lastID: UInt64
    public var firstRetainedID: UInt64
    public var retainedCount: Int
    public var subscriberCount: Int
}
