/// One subscriber's pending items, guarded by the subscription's own lock. The publisher
/// appends (holding the user's channel lock, never waiting on the consumer); the consumer takes
/// batches. Bounded: the live part never holds more than `capacity` events, and (with a ledger)
/// never more than the user's budget takes: each live event waiting is charged
/// (`RetainedSize.ofQueued`) from its push until it is taken or dropped. A push onto a backlog
/// that the budget refuses ends the subscription as a slow consumer, exactly like a full queue:
/// the reader was too slow for what its user may keep, and it can resume from the ring with the
/// last id it saw. A push onto an empty queue (the reader keeps up) is charged whatever the
/// budget says, so a user whose budget is full of other things still gets their events live;
/// that overshoot is one event per subscription. Replayed events are not charged here: they are
/// the ring's, bounded by its size.
struct SubscriberQueue {
    let capacity: Int
    let ledger: RetainedBytesLedger?
    let userID: String
    /// What the live events waiting are charged now.
    private var chargedBytes = 0
    var gap: EventGap?
    /// Events replayed from the ring at subscribe time, handed out before live ones. Bounded by
    /// the ring size, so it does not count against `capacity`.
    var replay: [PublishedEvent]
    var replayIndex = 0
    var live: [PublishedEvent] = []
    var liveHead = 0
    var termination: SubscriptionTermination?
    /// A wake has been signalled and the consumer has not yet emptied the queue: coalesce.
    var wakePending: Bool
    /// Live events up to this id are not queued: they are in the replay (a journal's replay
    /// covers its read and the ring; `.max` until that replay is set, `beginReplay`).
    var liveAfter: UInt64 = 0

    init(capacity: Int, gap: EventGap?, replay: [PublishedEvent], ledger: RetainedBytesLedger? = nil, userID: String = "") {
        self.capacity = capacity
        self.ledger = ledger
        self.userID = userID
        self.gap = gap
        self.replay = replay
        // Items present at subscribe time are pulled by the consumer's first `next`, unasked.
        self.wakePending = gap != nil || !replay.isEmpty
    }

    enum PushResult {
        /// Queued; `wake` says whether the consumer must be woken (no wake was pending).
        case queued(wake: Bool)
        /// The queue was full: the subscription is now terminated as a slow consumer.
        case overflowed(wake: Bool)
        /// Already terminated: nothing queued.
        case ignored
    }

    /// The replay is still being read from the hub's journal (nothing can be taken yet).
    var awaitingReplay: Bool { liveAfter == .max && termination == nil }

    /// Replayed events are still waiting, or the replay is still being read.
    var isReplaying: Bool { awaitingReplay || replayIndex < replay.count }

    var pendingCount: Int { (replay.count - replayIndex) + (live.count - liveHead) }

    mutating func push(_ event: PublishedEvent) -> PushResult {
        guard termination == nil, event.id > liveAfter else { return .ignored }
        if live.count - liveHead >= capacity {
            termination = .slowConsumer
            return .overflowed(wake: takeWakeDuty())
        }
        if let ledger {
            let bytes = RetainedSize.ofQueued(event: event)
            if live.count == liveHead {
                ledger.forceCharge(userID, .subscriptions, bytes: bytes)
            } else if ledger.charge(userID, .subscriptions, bytes: bytes, countingRefusal: false) != nil {
                termination = .slowConsumer
                return .overflowed(wake: takeWakeDuty())
            }
            chargedBytes += bytes
        }
        live.append(event)
        return .queued(wake: takeWakeDuty())
    }

    /// Sets the replay read from a journal, and the id live events must pass from now on.
    /// Returns whether to wake the consumer.
    mutating func beginReplay(gap: EventGap?, replay: [PublishedEvent], liveAfter: UInt64) -> Bool {
        guard termination == nil else { return false }
        self.gap = gap
        self.replay = replay
        self.replayIndex = 0
        self.liveAfter = liveAfter
        // Always: a consumer that found nothing while the replay was read is waiting for this.
        return takeWakeDuty()
    }

    /// Ends the subscription (first reason wins). Returns whether to wake the consumer.
    mutating func terminate(_ reason: SubscriptionTermination) -> Bool {
        guard termination == nil else { return false }
        termination = reason
        return takeWakeDuty()
    }

    /// Drops every pending item (the consumer has left; nobody will read them).
    mutating func discardPending() {
        gap = nil
        replay = []
        replayIndex = 0
        if chargedBytes > 0 { ledger?.release(userID, .subscriptions, bytes: chargedBytes, items: live.count - liveHead) }
        chargedBytes = 0
        live = []
        liveHead = 0
    }

    /// Gives back the charge of live events handed to the consumer.
    private mutating func releaseTaken(_ taken: ArraySlice<PublishedEvent>) {
        guard !taken.isEmpty else { return }
        let bytes = taken.reduce(0) { $0 + RetainedSize.ofQueued(event: $1) }
        chargedBytes -= bytes
        ledger?.release(userID, .subscriptions, bytes: bytes, items: taken.count)
    }

    private mutating func takeWakeDuty() -> Bool {
        if wakePending { return false }
        wakePending = true
        return true
    }

    /// Takes up to `maxEvents` items (whole arrays are handed over without copying) whose
    /// serialized bytes, each counted with `overheadPerEvent` more (the transport's framing),
    /// total at most `maxBytes`: a consumer writing into a bounded buffer takes no more than fits
    /// and leaves the rest queued, in order (an event that does not fit is not taken, nor any
    /// after it).
    mutating func take(maxEvents: Int, maxBytes: Int = .max, overheadPerEvent: Int = 0) -> EventBatch {
        if awaitingReplay {
            wakePending = false
            return EventBatch(replayPending: true)
        }
        var batch = EventBatch(gap: gap)
        gap = nil
        var budget = max(1, maxEvents)
        var bytesLeft = maxBytes
        var cutShort = false
        if replayIndex < replay.count {
            var count = min(budget, replay.count - replayIndex)
            if bytesLeft < .max {
                let fitting = Self.fitting(replay, from: replayIndex, count: count, overhead: overheadPerEvent, bytes: &bytesLeft)
                cutShort = fitting < count
                count = fitting
            }
            if replayIndex == 0 && count == replay.count {
                swap(&batch.events, &replay)
            } else {
                batch.events.append(contentsOf: replay[replayIndex..<(replayIndex + count)])
                replayIndex += count
            }
            if replayIndex >= replay.count { replay = []; replayIndex = 0 }
            budget -= count
        }
        let liveWaiting = live.count - liveHead
        let replayed = batch.events.count
        defer { if ledger != nil { releaseTaken(batch.events[replayed...]) } }
        if budget > 0 && liveWaiting > 0 && !cutShort {
            var count = min(budget, liveWaiting)
            if bytesLeft < .max {
                count = Self.fitting(live, from: liveHead, count: count, overhead: overheadPerEvent, bytes: &bytesLeft)
            }
            if count == 0 {
                // Nothing fits: everything stays queued.
            } else if batch.events.isEmpty && liveHead == 0 && count == live.count {
                swap(&batch.events, &live)
                live.reserveCapacity(min(capacity, max(16, batch.events.count)))
            } else {
                batch.events.append(contentsOf: live[liveHead..<(liveHead + count)])
                liveHead += count
                if liveHead == live.count {
                    live.removeAll(keepingCapacity: true)
                    liveHead = 0
                } else if liveHead >= capacity / 2 {
                    live.removeFirst(liveHead)
                    liveHead = 0
                }
            }
        }
        if pendingCount == 0 {
            wakePending = false
            batch.termination = termination
        } else {
            batch.hasMore = true
        }
        return batch
    }

    /// How many of `count` events from `start` fit in `bytes` (which shrinks by what they take).
    private static func fitting(_ events: [PublishedEvent], from start: Int, count: Int, overhead: Int,
                                bytes: inout Int) -> Int {
        var taken = 0
        while taken < count {
            let cost = events[start + taken].json.count &+ overhead
            guard cost <= bytes else { break }
            bytes -= cost
            taken += 1
        }
        return taken
    }
}
