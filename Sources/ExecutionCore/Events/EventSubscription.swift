import Synchronization
import VisibleLocks

/// A live, bounded view of one user's events. Made by `EventHub.subscribe`; the consumer pulls
/// with `next` when its `wake` closure has fired, and ends it with `cancel` (a client leaving a
/// stream never affects any run).
///
/// Typical consumer (an event loop): on wake, schedule a drain on the loop; the drain calls
/// `next` until `hasMore` is false, writes the gap and events, and closes the stream with the
/// reason when `termination` is set. Call `next` once right after subscribing: a gap and replayed
/// events present at that moment are not announced through `wake`.
public final class EventSubscription: Sendable {
    /// Unique within the hub.
    public let id: UInt64
    /// The user this subscription is bound to; it never sees another user's event.
    public let userID: String
    public let filter: EventFilter
    /// The filter is empty: publishers skip matching.
    let matchesAll: Bool
    let queue: VisibleMutex<SubscriberQueue>
    let wake: @Sendable () -> Void
    let channel: UserEventChannel
    let shard: EventHubShard
    let clock: any ExecutionClock
    /// Called once the replay is set (or the subscription ended first): with a journal that is
    /// after a read (`EventHub.subscribe`'s `ready`).
    private let onReplaySet = VisibleMutex<(@Sendable () -> Void)?>(nil)

    init(id: UInt64, userID: String, filter: EventFilter, queue: SubscriberQueue,
         wake: @escaping @Sendable () -> Void, channel: UserEventChannel, shard: EventHubShard,
         clock: any ExecutionClock) {
        self.id = id
        self.userID = userID
        self.filter = filter
        self.matchesAll = filter.isEmpty
        self.queue = VisibleMutex(queue)
        self.wake = wake
        self.channel = channel
        self.shard = shard
        self.clock = clock
    }

    /// A consumer that never cancelled still gives back what its queue was charged.
    deinit {
        queue.withLock { $0.discardPending() }
    }

    func whenReplaySet(_ action: @escaping @Sendable () -> Void) {
        onReplaySet.withLock { $0 = action }
    }

    /// Runs the `ready` action, once.
    func replaySet() {
        onReplaySet.withLock { $0.take() }?()
    }

    /// Takes what is waiting, never blocking: the gap (once), up to `maxEvents` events in id
    /// order, and the termination reason once nothing precedes it. `maxBytes`: the events'
    /// serialized bytes, each counted with `overheadPerEvent` more, total at most this (events
    /// that do not fit stay queued, in order; `hasMore` says so).
    public func next(maxEvents: Int = .max, maxBytes: Int = .max, overheadPerEvent: Int = 0) -> EventBatch {
        queue.withLock { $0.take(maxEvents: maxEvents, maxBytes: maxBytes, overheadPerEvent: overheadPerEvent) }
    }

    /// Ends the subscription (idempotent). Pending items are dropped; a later `next` returns
    /// `termination == .cancelled` (or the reason it had already ended with).
    public func cancel() {
        if channel.remove(self, now: clock.now()) {
            shard.liveSubscribers.subtract(1, ordering: .relaxed)
        }
        queue.withLock { queue in
            _ = queue.terminate(.cancelled)
            queue.discardPending()
        }
    }

    /// Set once the subscription has ended, whether or not the consumer has seen it yet.
    public var terminationReason: SubscriptionTermination? {
        queue.withLock { $0.termination }
    }

    /// Replayed events are still waiting (or still being read from the journal).
    public var isReplaying: Bool {
        queue.withLock { $0.isReplaying }
    }

    /// Items waiting to be taken (replay and live).
    public var pendingCount: Int {
        queue.withLock { $0.pendingCount }
    }
}
