import VisibleLocks

/// What a hub with a journal keeps to follow it: which users' rings are being filled now (one
/// read at a time per user; a wake-up during a read asks for another), and the wake-up lag.
final class JournalFollowing: Sendable {
    /// Users with a fill in flight; true when another was asked for meanwhile.
    let fills = VisibleMutex<[String: Bool]>([:])
    let lag = DeliveryLagHistogram()
}

/// Following the journal (issue 13): another replica's append reaches this one as a wake-up
/// (`follow`), and a user followed here (a subscriber is open) whose ring is behind is filled
/// by reading the journal after the ring's last id. The journal is the truth; a wake-up only
/// says where to look, so one that is lost costs latency, never an event: a reconnected
/// wake-up re-reads every followed user.
extension EventHub {
    /// Starts the wake-up (once, at start-up). Nothing without a journal.
    public func startFollowing() {
        guard let journal else { return }
        journal.follow(appended: { [self] userID, lastID, committedAt in
            if let committedAt { following?.lag.record(clock.now() - committedAt) }
            guard let info = logInfo(userID: userID), info.subscriberCount > 0, info.lastID < lastID else { return }
            fill(userID: userID, after: info.lastID)
        }, resynchronize: { [self] in
            for (userID, lastID) in followedUsers() { fill(userID: userID, after: lastID) }
        })
    }

    /// Events are numbered by a journal: a subscription's replay comes after a read.
    public var hasJournal: Bool { journal != nil }

    /// The wake-up lag (commit to this replica hearing of it); nil without a journal.
    public var deliveryLag: DeliveryLagHistogram? { following?.lag }

    /// Reads the user's events after `after` into the ring (coalesced: one read at a time).
    func fill(userID: String, after: UInt64) {
        guard let journal, let following else { return }
        let start = following.fills.withLock { fills -> Bool in
            if fills[userID] != nil {
                fills[userID] = true
                return false
            }
            fills[userID] = false
            return true
        }
        if start { readFill(userID: userID, after: after, journal: journal, following: following) }
    }

    private func readFill(userID: String, after: UInt64, journal: any EventJournal, following: JournalFollowing) {
        let limit = configuration.replayRingSize
        journal.read(userID: userID, after: after, limit: limit, executionID: nil) { [self] result in
            var more = false
            if case .success(let page) = result {
                let first = page.events.first?.id ?? page.lastID &+ 1
                if first > after &+ 1, page.lastID > after {
                    // Events the subscribers here need are gone from the journal (retention) or
                    // past one read: they end as slow consumers and resume with their last id.
                    terminateSubscribers(of: userID, reason: .slowConsumer)
                }
                for event in page.events {
                    if case .behind = deliver(event) { more = true; break }
                }
                if page.events.count == limit { more = true }
            }
            // A failed read is left to the next wake-up or resynchronisation.
            let again = following.fills.withLock { fills -> Bool in
                if more || fills[userID] == true {
                    fills[userID] = false
                    return true
                }
                fills[userID] = nil
                return false
            }
            guard again else { return }
            let last = logInfo(userID: userID)?.lastID ?? after
            readFill(userID: userID, after: last, journal: journal, following: following)
        }
    }

    /// Ends every subscription of one user (each sees its queued events first).
    func terminateSubscribers(of userID: String, reason: SubscriptionTermination) {
        let shard = shard(for: userID)
        guard let channel = shard.table.withLock({ $0.channels[userID] }) else { return }
        let removed = channel.state.withLock { state -> [EventSubscription] in
            defer { state.subscribers.removeAll() }
            return state.subscribers
        }
        shard.liveSubscribers.subtract(removed.count, ordering: .relaxed)
        if reason == .slowConsumer { shard.slowConsumerCutoffs.add(UInt64(removed.count), ordering: .relaxed) }
        for subscription in removed {
            if subscription.queue.withLock({ $0.terminate(reason) }) { subscription.wake() }
            subscription.replaySet()
        }
    }
}
