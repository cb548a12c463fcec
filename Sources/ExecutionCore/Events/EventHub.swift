import Synchronization
import VisibleLocks

/// The per-user event log and fan-out (SPEC.md §4, §7).
///
/// - Each user has an ordered log: ids from 1, monotonic, never reused in this process; the
///   newest `replayRingSize` events are kept for resume.
/// - `publish` sanitises the data, serializes the envelope once, appends it to the user's log and
///   hands it to that user's matching subscribers. It never waits on a subscriber: a full queue
///   ends that subscription (`slowConsumer`). Only the publishing user's lock is taken.
/// - `subscribe` replays after a cursor and continues live with no gap and no duplicate: both
///   happen under the user's lock, so no publish can fall between them.
///
/// **Idle eviction rule.** `evictIdleLogs()` drops a user's log only when it has no subscriber
/// and nothing (publish, subscribe, unsubscribe) happened for `idleLogRetention`. The user's last
/// id is kept (a few bytes), so the next event continues the sequence: a client resuming from any
/// earlier id gets an explicit gap for what was dropped, never unrelated events under ids it has
/// already seen. A cursor newer than the log (only possible across a restart) also gets a gap,
/// then every retained event.
public final class EventHub: EventPublisher {
    public let configuration: EventHubConfiguration
    let sanitizer: EventSanitizer
    let clock: any ExecutionClock
    let makeLog: EventLogFactory
    let shards: [EventHubShard]
    /// Charged for each user's replay ring and subscriber queues; nil keeps no account.
    let ledger: RetainedBytesLedger?
    /// The shared log behind this hub (issue 13), nil in memory: with it, events come numbered
    /// (`deliver`) and a subscription's replay is read from it (`EventHub+Journal`).
    let journal: (any EventJournal)?
    /// Fills in flight and the wake-up lag; nil without a journal.
    let following: JournalFollowing?
    /// The publisher of this replica's events to the journal, which registers itself here: a
    /// replay is read once what it published before the subscription is in the journal.
    let localPublisher = VisibleMutex(WeakPublisher())
    let shutDown = Atomic<Bool>(false)
    private let nextSubscriptionID = Atomic<UInt64>(1)

    /// - Parameter makeLog: the per-user log; default `InMemoryEventLog` with the ring size.
    public init(configuration: EventHubConfiguration = .init(), clock: any ExecutionClock = SystemClock(),
                makeLog: EventLogFactory? = nil, ledger: RetainedBytesLedger? = nil, journal: (any EventJournal)? = nil) {
        self.configuration = configuration
        self.ledger = ledger
        self.journal = journal
        self.following = journal == nil ? nil : JournalFollowing()
        self.sanitizer = EventSanitizer(configuration.sanitizer)
        self.clock = clock
        let ringSize = configuration.replayRingSize
        self.makeLog = makeLog ?? { _, lastID in InMemoryEventLog(capacity: ringSize, startingAfter: lastID) }
        self.shards = (0..<configuration.shardCount).map { _ in EventHubShard() }
    }

    func shard(for userID: String) -> EventHubShard {
        // FNV-1a: cheap, and stable for the life of the process, which is all sharding needs.
        var userID = userID
        let hash = userID.withUTF8 { bytes in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return hash
        }
        return shards[Int(hash % UInt64(shards.count))]
    }

    // MARK: Publishing

    @discardableResult
    public func publish(_ draft: consuming EventDraft) -> PublishedEvent {
        let userID = draft.identity.userID
        let timestamp = draft.timestamp
        let shard = shard(for: userID)
        var channel = shard.channel(for: userID, makeLog: makeLog, now: timestamp)
        // Encoded (and sanitised) outside the user's lock; only the id is written under it.
        let (body, data) = EventEnvelopeEncoder.encodeBody(draft, prefix: channel.prefix(for: draft), sanitizer: sanitizer,
                                                           maxDataBytes: configuration.sanitizer.maxDataBytes)
        if let data { draft.data = data }
        // Moved into the published event under the lock (never copied: it holds several strings).
        // The ring keeps the encoded bytes only: the parsed data is dropped here (`data` decodes
        // it again for the rare reader that wants it).
        var envelope = EventEnvelope(id: 0, draft: draft, json: body)
        envelope.keepEncodedDataOnly()
        var pending: EventEnvelope? = consume envelope
        while true {
            guard let outcome = append(&pending, to: channel) else {
                // Evicted between lookup and lock: the user's next channel continues the ids.
                channel = shard.channel(for: userID, makeLog: makeLog, now: timestamp)
                continue
            }
            settle(outcome, in: shard)
            return outcome.event
        }
    }

    struct AppendOutcome {
        var event: PublishedEvent
        var delivered = 0
        var cutOff = 0
        var retainedDelta = 1
        var wakes = WakeList()
    }

    /// Numbers `pending` (taking it), records and fans it out under the user's lock; nil, with
    /// `pending` untouched, when the channel was evicted meanwhile (the caller looks the user up
    /// again).
    private func append(_ pending: inout EventEnvelope?, to channel: UserEventChannel) -> AppendOutcome? {
        channel.state.withLock { state -> AppendOutcome? in
            if state.retired { return nil }
            // `publish` returns as soon as an append succeeds, so the envelope is always still here.
            guard var envelope = pending.take() else { preconditionFailure("an envelope is appended once") }
            let id = state.log.lastID &+ 1
            envelope.id = id
            EventEnvelopeEncoder.finish(&envelope.json, id: id)
            let timestamp = envelope.timestamp
            let event = PublishedEvent(consume envelope)
            var outcome = AppendOutcome(event: event)
            outcome.retainedDelta = record(event, in: &state, userID: channel.userID, at: timestamp)
            Self.fanOut(event, to: &state.subscribers, outcome: &outcome)
            return outcome
        }
    }

    /// Keeps `event` in the user's ring (charging the budget); returns the change in retained events.
    func record(_ event: PublishedEvent, in state: inout UserEventChannel.State, userID: String, at timestamp: Timestamp) -> Int {
        let bytesBefore = state.log.retainedBytes
        var retainedDelta = 1 - state.log.append(event)
        if let ledger {
            retainedDelta -= Self.settleRingCharge(&state.log, bytesBefore: bytesBefore, itemsDelta: retainedDelta,
                                                   userID: userID, ledger: ledger)
        }
        state.lastActivity = max(state.lastActivity, timestamp)
        return retainedDelta
    }

    /// Counts an append in its shard and wakes the consumers it fed (outside the user's lock).
    func settle(_ outcome: AppendOutcome, in shard: EventHubShard) {
        shard.published.add(1, ordering: .relaxed)
        if outcome.delivered > 0 { shard.delivered.add(UInt64(outcome.delivered), ordering: .relaxed) }
        if outcome.retainedDelta != 0 { shard.retainedEvents.add(outcome.retainedDelta, ordering: .relaxed) }
        if outcome.cutOff > 0 {
            shard.slowConsumerCutoffs.add(UInt64(outcome.cutOff), ordering: .relaxed)
            shard.liveSubscribers.subtract(outcome.cutOff, ordering: .relaxed)
        }
        outcome.wakes.callAll()
    }

    /// Hands `event` to every matching subscriber (under the user's lock); a full queue ends its
    /// subscription and leaves the list.
    static func fanOut(_ event: PublishedEvent, to subscribers: inout [EventSubscription], outcome: inout AppendOutcome) {
        var index = 0
        while index < subscribers.count {
            let subscriber = subscribers[index]
            guard subscriber.matchesAll || subscriber.filter.matches(event.envelope) else { index += 1; continue }
            switch subscriber.queue.withLock({ $0.push(event) }) {
            case .queued(let wake):
                outcome.delivered += 1
                if wake { outcome.wakes.append(subscriber.wake) }
                index += 1
            case .overflowed(let wake):
                outcome.cutOff += 1
                if wake { outcome.wakes.append(subscriber.wake) }
                subscribers.swapAt(index, subscribers.count - 1)
                subscribers.removeLast()
            case .ignored:
                index += 1
            }
        }
    }

    // MARK: Subscribing

    /// Opens a subscription to `userID`'s events.
    ///
    /// - Parameters:
    ///   - filter: thread, run and/or execution id; all set fields must match.
    ///   - after: resume after this id (`Last-Event-ID`): retained events after it are replayed
    ///     first, then live ones, with no gap or duplicate between them. If events after it are no
    ///     longer retained, the first item is an `EventGap`. nil: live events only.
    ///   - queueCapacity: live events allowed to wait (default from configuration); one more ends
    ///     the subscription as `slowConsumer`.
    ///   - ready: called once the subscription starts where it will start: at once in memory;
    ///     with a journal once its replay is read (a response that waits for it lets a client
    ///     start runs knowing the stream has every event of them).
    ///   - wake: called (coalesced) on the publisher's thread when items become available and on
    ///     termination. It must be cheap and must not call back into the hub synchronously
    ///     (enqueue work for the consumer's own thread instead).
    public func subscribe(userID: String, filter: EventFilter = .all, after: UInt64? = nil,
                          queueCapacity: Int? = nil, ready: (@Sendable () -> Void)? = nil,
                          wake: @escaping @Sendable () -> Void) throws(SubscriptionError) -> EventSubscription {
        let capacity = max(1, queueCapacity ?? configuration.subscriberQueueCapacity)
        let limit = configuration.maxSubscribersPerUser
        let shard = shard(for: userID)
        while true {
            let now = clock.now()
            guard !shutDown.load(ordering: .acquiring) else { throw .shuttingDown }
            let channel = shard.channel(for: userID, makeLog: makeLog, now: now)
            let result: Result<EventSubscription, SubscriptionError>? = channel.state.withLock { state in
                if state.retired { return nil }
                // Checked under the user's lock: racing subscribes cannot exceed the cap.
                if state.subscribers.count >= limit { return .failure(.tooManySubscribers(limit: limit)) }
                // With a journal the replay is read from it first: until then nothing is queued.
                let (gap, replay) = journal == nil ? Self.replay(from: state.log, after: after, filter: filter) : (nil, [])
                var queue = SubscriberQueue(capacity: capacity, gap: gap, replay: replay, ledger: ledger, userID: userID)
                if journal != nil { queue.liveAfter = .max }
                let subscription = EventSubscription(
                    id: nextSubscriptionID.wrappingAdd(1, ordering: .relaxed).oldValue, userID: userID,
                    filter: filter, queue: queue,
                    wake: wake, channel: channel, shard: shard, clock: clock)
                state.subscribers.append(subscription)
                state.lastActivity = max(state.lastActivity, now)
                return .success(subscription)
            }
            switch result {
            case nil: continue
            case .failure(let error)?: throw error
            case .success(let subscription)?:
                shard.liveSubscribers.add(1, ordering: .relaxed)
                // A shutdown that began while we registered must still reach this subscription.
                if shutDown.load(ordering: .acquiring) { terminate(subscription, reason: .shutdown) }
                if let journal {
                    if let ready { subscription.whenReplaySet(ready) }
                    readReplay(for: subscription, from: journal, cursor: after, readAfter: after ?? 0, attempt: 0)
                } else {
                    ready?()
                }
                return subscription
            }
        }
    }

    /// The gap marker and replayed events for a cursor (see `subscribe`).
    static func replay(from log: any EventLog, after: UInt64?, filter: EventFilter) -> (EventGap?, [PublishedEvent]) {
        guard let after else { return (nil, []) }
        let first = log.firstRetainedID
        var gap: EventGap?
        var events: [PublishedEvent]
        if after > log.lastID {
            gap = EventGap(requestedAfter: after, firstAvailableID: first, lostCount: nil)
            events = log.events(after: 0)
        } else {
            if first > 0, after < first - 1 { gap = EventGap(requestedAfter: after, firstAvailableID: first, lostCount: first - 1 - after) }
            events = log.events(after: after)
        }
        if !filter.isEmpty { events.removeAll { !filter.matches($0.envelope) } }
        return (gap, events)
    }

    func terminate(_ subscription: EventSubscription, reason: SubscriptionTermination) {
        if subscription.channel.remove(subscription, now: clock.now()) {
            subscription.shard.liveSubscribers.subtract(1, ordering: .relaxed)
        }
        if subscription.queue.withLock({ $0.terminate(reason) }) { subscription.wake() }
        subscription.replaySet()
    }
}
