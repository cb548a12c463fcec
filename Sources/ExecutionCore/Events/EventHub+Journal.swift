/// The hub in front of a journal (issue 13): the journal numbers and keeps every event, shared
/// by every replica; the hub is this replica's cache of each followed user's newest events (the
/// ring) and its fan-out.
///
/// - Events arrive numbered (`deliver`), from this replica's appends and from reads after
///   another replica's wake-up. A user's ring stays contiguous: an event past a hole is refused
///   (`behind`) while a subscriber of the user takes live events, and the caller reads the hole
///   from the journal first; otherwise the ring simply starts again at the new event.
/// - A subscription reads its replay from the journal: nothing is queued for it until then
///   (`liveAfter` is `.max`). The replay is the read, then the ring past it; live events start
///   after both, so nothing is missed or sent twice.
extension EventHub {
    public enum DeliveryOutcome: Sendable, Equatable {
        case appended
        /// Already in the ring (this replica's own event came back through a read).
        case duplicate
        /// Events after this id are missing; read them from the journal, then deliver again.
        case behind(after: UInt64)
    }

    /// Records a journal-numbered event and hands it to the user's subscribers.
    @discardableResult
    public func deliver(_ event: PublishedEvent) -> DeliveryOutcome {
        let userID = event.identity.userID
        let timestamp = event.envelope.timestamp
        let shard = shard(for: userID)
        while true {
            let channel = shard.channel(for: userID, makeLog: makeLog, now: timestamp)
            let result: (DeliveryOutcome, AppendOutcome?)? = channel.state.withLock { state in
                if state.retired { return nil }
                let last = state.log.lastID
                if event.id <= last { return (.duplicate, nil) }
                var dropped = 0
                if event.id != last &+ 1 {
                    guard !state.hasLiveSubscribers(besides: nil) else { return (.behind(after: last), nil) }
                    dropped = restart(&state.log, after: event.id - 1, userID: userID)
                }
                var outcome = AppendOutcome(event: event)
                outcome.retainedDelta = record(event, in: &state, userID: userID, at: timestamp) - dropped
                Self.fanOut(event, to: &state.subscribers, outcome: &outcome)
                return (.appended, outcome)
            }
            guard let result else { continue }
            if let outcome = result.1 { settle(outcome, in: shard) }
            return result.0
        }
    }

    /// Empties the user's ring (giving back its charge) and numbers on after `id`; returns how
    /// many events it held.
    func restart(_ log: inout any EventLog, after id: UInt64, userID: String) -> Int {
        let count = log.retainedCount
        ledger?.release(userID, .events, bytes: log.retainedBytes, items: count)
        log.restart(after: id)
        return count
    }

    /// Users with at least one subscription here (whose rings must follow the journal).
    public func followedUsers() -> [(userID: String, lastID: UInt64)] {
        var users: [(String, UInt64)] = []
        for shard in shards {
            let channels = shard.table.withLock { Array($0.channels.values) }
            for channel in channels {
                if let last = channel.state.withLock({ $0.subscribers.isEmpty ? nil : $0.log.lastID }) {
                    users.append((channel.userID, last))
                }
            }
        }
        return users
    }

    // MARK: Replay from the journal

    /// Reads `subscription`'s replay. `readAfter` is the cursor, or 0 when the cursor was newer
    /// than the journal's count (then every retained event is replayed after a gap).
    func readReplay(for subscription: EventSubscription, from journal: any EventJournal, cursor: UInt64?,
                    readAfter: UInt64, attempt: Int) {
        // This replica's events published before the subscription are read with the rest.
        if attempt == 0, readAfter == (cursor ?? 0), let publisher = localPublisher.withLock({ $0.value }) {
            return publisher.whenAppended { [self] in
                readReplay(for: subscription, from: journal, cursor: cursor, readAfter: readAfter, attempt: -1)
            }
        }
        if attempt == -1 || localPublisher.withLock({ $0.value }) == nil, replayFromRing(subscription, cursor: cursor) { return }
        let attempt = max(0, attempt)
        let limit = cursor == nil ? 0 : configuration.replayRingSize
        // A run stream reads its run's events only (the journal has an index for that).
        let executionID = subscription.filter.executionID
        journal.read(userID: subscription.userID, after: readAfter, limit: limit, executionID: executionID) { [self] result in
            switch result {
            case .failure:
                terminate(subscription, reason: .unavailable)
            case .success(let page):
                if let cursor, readAfter == cursor, page.lastID < cursor {
                    return readReplay(for: subscription, from: journal, cursor: cursor, readAfter: 0, attempt: attempt)
                }
                completeReplay(subscription, cursor: cursor, readAfter: readAfter, page: page, journal: journal, attempt: attempt)
            }
        }
    }

    /// Sets the replay from the ring alone when it holds all of it, saving the journal read:
    /// when other subscriptions of the user are open here (the ring then follows the journal,
    /// so it is current up to wake-ups still on their way, which reach this one live) and it
    /// holds everything after the cursor; or, for a run stream, when it holds the run's first
    /// event (then every later event of the run is in it or still to come). False: read the
    /// journal.
    private func replayFromRing(_ subscription: EventSubscription, cursor: UInt64?) -> Bool {
        // nil: read the journal; else whether to wake the consumer.
        let set: Bool? = subscription.channel.state.withLock { state in
            guard state.subscribers.contains(where: { $0 === subscription }) else { return false }
            let followed = state.hasLiveSubscribers(besides: subscription)
            let last = state.log.lastID
            var replay: [PublishedEvent] = []
            if let cursor {
                guard cursor <= last else { return nil }
                replay = state.log.events(after: cursor)
                if !subscription.filter.isEmpty { replay.removeAll { !subscription.filter.matches($0.envelope) } }
                let holdsAll = followed && cursor &+ 1 >= state.log.firstRetainedID
                let holdsRun = subscription.filter.executionID != nil
                    && replay.contains { $0.type == .runQueued || $0.type == .agentStarted }
                guard holdsAll || holdsRun else { return nil }
            } else if !followed {
                return nil
            }
            return subscription.queue.withLock { $0.beginReplay(gap: nil, replay: replay, liveAfter: last) }
        }
        guard let set else { return false }
        if set { subscription.wake() }
        subscription.replaySet()
        return true
    }

    private enum ReplayStep {
        case done(wake: Bool, fillAfter: UInt64?)
        /// Events between the read and the ring are in neither: read again.
        case reread
        case gone
    }

    private func completeReplay(_ subscription: EventSubscription, cursor: UInt64?, readAfter: UInt64, page: JournalPage,
                                journal: any EventJournal, attempt: Int) {
        let channel = subscription.channel
        let userID = subscription.userID
        var droppedFromRing = 0
        let step: ReplayStep = channel.state.withLock { state in
            guard state.subscribers.contains(where: { $0 === subscription }) else { return .gone }
            let read = page.lastID
            var last = state.log.lastID
            if last < read, !state.hasLiveSubscribers(besides: subscription) {
                // Nobody else here takes live events of this user yet (the others still wait for
                // their own replays, which they read themselves): the ring starts at the
                // journal's count instead of reading up to it.
                droppedFromRing = restart(&state.log, after: read, userID: userID)
                last = read
            }
            var replay = page.events
            if last > read {
                guard state.log.firstRetainedID <= read &+ 1 else { return .reread }
                replay += state.log.events(after: max(read, readAfter))
            }
            let liveAfter = max(read, last)
            var gap: EventGap?
            if let cursor {
                let first = replay.first?.id ?? liveAfter &+ 1
                if subscription.filter.executionID != nil {
                    // Other runs' ids are not lost: only a full page may have cut the run short.
                    if page.events.count == configuration.replayRingSize {
                        gap = EventGap(requestedAfter: cursor, firstAvailableID: first, lostCount: nil)
                    }
                } else if readAfter != cursor {
                    gap = EventGap(requestedAfter: cursor, firstAvailableID: first, lostCount: nil)
                } else if first > cursor &+ 1 {
                    gap = EventGap(requestedAfter: cursor, firstAvailableID: first, lostCount: first - 1 - cursor)
                }
            }
            if !subscription.filter.isEmpty { replay.removeAll { !subscription.filter.matches($0.envelope) } }
            let wake = subscription.queue.withLock { $0.beginReplay(gap: gap, replay: replay, liveAfter: liveAfter) }
            // This ring is behind the journal for another subscriber's sake: its follower fills it.
            return .done(wake: wake, fillAfter: last < read ? last : nil)
        }
        if droppedFromRing > 0 { shard(for: userID).retainedEvents.subtract(droppedFromRing, ordering: .relaxed) }
        switch step {
        case .gone: return subscription.replaySet()
        case .reread:
            guard attempt < 3 else { return terminate(subscription, reason: .unavailable) }
            readReplay(for: subscription, from: journal, cursor: cursor, readAfter: readAfter, attempt: attempt + 1)
        case .done(let wake, let fillAfter):
            if wake { subscription.wake() }
            subscription.replaySet()
            if let fillAfter { fill(userID: userID, after: fillAfter) }
        }
    }
}

extension UserEventChannel.State {
    /// Whether a subscription other than `besides` takes live events (one still waiting for its
    /// replay reads it itself, and takes nothing from the ring until then).
    func hasLiveSubscribers(besides: EventSubscription?) -> Bool {
        subscribers.contains { $0 !== besides && !$0.queue.withLock(\.awaitingReplay) }
    }
}
