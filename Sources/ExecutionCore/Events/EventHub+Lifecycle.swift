import Synchronization

/// Ending subscriptions, evicting idle logs, and the figures the API and metrics read.
extension EventHub {
    // MARK: Lifecycle

    /// Ends every open subscription with `reason` (each consumer is woken and sees it after its
    /// queued events). With `.shutdown`, later `subscribe` calls are refused (`shuttingDown`).
    /// Publishing keeps working: runs ending during a drain still reach the replay ring.
    public func terminateAll(reason: SubscriptionTermination) {
        if reason == .shutdown { shutDown.store(true, ordering: .releasing) }
        for shard in shards {
            let channels = shard.table.withLock { Array($0.channels.values) }
            for channel in channels {
                let removed = channel.state.withLock { state -> [EventSubscription] in
                    defer { state.subscribers.removeAll() }
                    return state.subscribers
                }
                if removed.isEmpty { continue }
                shard.liveSubscribers.subtract(removed.count, ordering: .relaxed)
                for subscription in removed {
                    if subscription.queue.withLock({ $0.terminate(reason) }) { subscription.wake() }
                    subscription.replaySet()
                }
            }
        }
    }

    /// Evicts idle user logs under the rule in the type's documentation. Returns how many.
    @discardableResult
    public func evictIdleLogs() -> Int {
        let cutoff = clock.now() - configuration.idleLogRetention
        var evicted = 0
        for shard in shards {
            let (count, retained) = shard.table.withLock { table -> (Int, Int) in
                var count = 0
                var retained = 0
                for (userID, channel) in table.channels {
                    let lastID = channel.state.withLock { state -> UInt64? in
                        guard state.subscribers.isEmpty, state.lastActivity <= cutoff else { return nil }
                        state.retired = true
                        retained += state.log.retainedCount
                        // A retired log takes no more events: what it was charged goes back now.
                        ledger?.release(userID, .events, bytes: state.log.retainedBytes, items: state.log.retainedCount)
                        return state.log.lastID
                    }
                    guard let lastID else { continue }
                    table.channels.removeValue(forKey: userID)
                    if table.recent === channel { table.recent = nil }
                    if lastID > 0 { table.retiredLastIDs[userID] = lastID }
                    count += 1
                }
                return (count, retained)
            }
            if count > 0 {
                shard.retainedEvents.subtract(retained, ordering: .relaxed)
                shard.evictedLogs.add(UInt64(count), ordering: .relaxed)
                evicted += count
            }
        }
        return evicted
    }

    // MARK: Introspection

    public var statistics: EventHubStatistics {
        var stats = EventHubStatistics(published: 0, delivered: 0, slowConsumerCutoffs: 0, liveSubscribers: 0,
                                       userLogs: 0, retainedEvents: 0, evictedLogs: 0)
        for shard in shards {
            stats.published += shard.published.load(ordering: .relaxed)
            stats.delivered += shard.delivered.load(ordering: .relaxed)
            stats.slowConsumerCutoffs += shard.slowConsumerCutoffs.load(ordering: .relaxed)
            stats.liveSubscribers += shard.liveSubscribers.load(ordering: .relaxed)
            stats.retainedEvents += shard.retainedEvents.load(ordering: .relaxed)
            stats.evictedLogs += shard.evictedLogs.load(ordering: .relaxed)
            stats.userLogs += shard.table.withLock { $0.channels.count }
        }
        return stats
    }

    /// The user's log position, or nil when the user has no log in memory.
    public func logInfo(userID: String) -> EventLogInfo? {
        guard let channel = shard(for: userID).table.withLock({ $0.channels[userID] }) else { return nil }
        return channel.state.withLock { state in
            EventLogInfo(lastID: state.log.lastID, firstRetainedID: state.log.firstRetainedID,
                         retainedCount: state.log.retainedCount, subscriberCount: state.subscribers.count)
        }
    }
}
