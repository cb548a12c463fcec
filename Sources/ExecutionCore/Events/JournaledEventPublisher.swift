import Synchronization
import VisibleLocks

/// The engines' publisher when the service runs on a journal (issue 13). An event is sanitised
/// and encoded at once, like the hub does, then waits in one queue; one append at a time takes
/// everything waiting (up to `maxBatch`) to the journal in one round trip, and the ids it
/// answers go to the hub (`deliver`), which fans the events out here. Other replicas hear of
/// them through the journal's wake-up.
///
/// One append in flight keeps this replica's events of a user in publish order (the journal
/// numbers a batch in order). While the journal fails, the batch is retried with backoff and new
/// events wait behind it, at most `maxWaiting` events and `maxWaitingBytes` of their JSON (an
/// outage must not let one busy tenant grow the process without bound); past that the oldest
/// waiting are dropped and
/// counted (`droppedEvents`). `publish` never waits; its returned event has no id yet (0).
///
/// It registers itself with its hub, which asks it, before reading a replay, to wait
/// until every event published here before the subscription is in the journal
/// (`whenAppended`): a run that ended here is then always in the replay of a stream opened
/// after it ended.
public final class JournaledEventPublisher: EventPublisher {
    public static let maxBatch = 512
    public static let maxWaiting = 100_000
    public static let maxWaitingBytes = 64 << 20
    private let hub: EventHub
    private let journal: any EventJournal

    private struct Queue {
        let maxWaiting: Int
        let maxWaitingBytes: Int
        var waiting: [JournalEntry] = []
        /// The JSON bytes of `waiting`.
        var waitingBytes = 0
        var appending = false
        var failures = 0
        /// Events queued so far, and those appended (or dropped) so far: FIFO, so the n-th
        /// event queued is done once `done >= n`.
        var queued = 0
        var done = 0
        /// Actions waiting for every event queued before them (`whenAppended`), oldest first.
        var barriers: [(target: Int, action: @Sendable () -> Void)] = []

        /// Drops the oldest waiting events past the bounds; returns how many.
        mutating func dropOverBounds() -> Int {
            var excess = 0
            var bytes = waitingBytes
            while excess < waiting.count, waiting.count - excess > maxWaiting || bytes > maxWaitingBytes {
                bytes -= waiting[excess].envelope.json.count
                excess += 1
            }
            guard excess > 0 else { return 0 }
            waiting.removeFirst(excess)
            waitingBytes = bytes
            done += excess
            return excess
        }

        /// Marks `count` more events done; returns the barriers that are now passed.
        mutating func complete(_ count: Int) -> [@Sendable () -> Void] {
            done += count
            guard let passed = barriers.firstIndex(where: { $0.target > done }) ?? (barriers.isEmpty ? nil : barriers.count),
                  passed > 0 else { return [] }
            defer { barriers.removeFirst(passed) }
            return barriers.prefix(passed).map(\.action)
        }
    }
    private let queue: VisibleMutex<Queue>
    private let appended = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)
    private let failedAppends = Atomic<Int>(0)

    public init(hub: EventHub, journal: any EventJournal, maxWaiting: Int = maxWaiting, maxWaitingBytes: Int = maxWaitingBytes) {
        self.hub = hub
        self.journal = journal
        self.queue = VisibleMutex(Queue(maxWaiting: max(1, maxWaiting), maxWaitingBytes: max(1, maxWaitingBytes)))
        hub.localPublisher.withLock { $0.value = self }
    }

    @discardableResult
    public func publish(_ draft: consuming EventDraft) -> PublishedEvent {
        let (body, data) = EventEnvelopeEncoder.encodeBody(draft, prefix: EventEnvelopeEncoder.prefix(draft), sanitizer: hub.sanitizer,
                                                           maxDataBytes: hub.configuration.sanitizer.maxDataBytes)
        if let data { draft.data = data }
        let run = RunRecordChange.of(draft)
        var envelope = EventEnvelope(id: 0, draft: draft, json: body)
        envelope.keepEncodedDataOnly()
        let entry = JournalEntry(envelope: envelope, run: run)
        let start = queue.withLock { queue -> Bool in
            queue.waiting.append(entry)
            queue.waitingBytes += entry.envelope.json.count
            queue.queued += 1
            let excess = queue.dropOverBounds()
            if excess > 0 { dropped.add(excess, ordering: .relaxed) }
            if queue.appending { return false }
            queue.appending = true
            return true
        }
        if start { appendWaiting() }
        return PublishedEvent(envelope)
    }

    /// Sends what waits (the caller holds the `appending` duty).
    private func appendWaiting() {
        let batch = queue.withLock { queue -> [JournalEntry] in
            if queue.waiting.isEmpty {
                queue.appending = false
                return []
            }
            let batch = queue.waiting.count <= Self.maxBatch ? queue.waiting.take() : Array(queue.waiting.prefix(Self.maxBatch))
            if !queue.waiting.isEmpty { queue.waiting.removeFirst(batch.count) }
            queue.waitingBytes -= batch.reduce(0) { $0 + $1.envelope.json.count }
            return batch
        }
        guard !batch.isEmpty else { return }
        journal.append(batch) { [self] result in
            switch result {
            case .success(let ids):
                appended.add(ids.count, ordering: .relaxed)
                for (entry, id) in zip(batch, ids) { deliver(entry.envelope, id: id) }
                let passed = queue.withLock { queue in
                    queue.failures = 0
                    return queue.complete(batch.count)
                }
                for action in passed { action() }
                appendWaiting()
            case .failure:
                failedAppends.add(1, ordering: .relaxed)
                let failures = queue.withLock { queue -> Int in
                    queue.waiting.insert(contentsOf: batch, at: 0)
                    queue.waitingBytes += batch.reduce(0) { $0 + $1.envelope.json.count }
                    let excess = queue.dropOverBounds()
                    if excess > 0 { dropped.add(excess, ordering: .relaxed) }
                    queue.failures += 1
                    return queue.failures
                }
                // 50 ms doubling to 2 s: a database that is down is not hammered.
                let delay = Duration.milliseconds(min(2000, 50 << min(failures - 1, 6)))
                Task.detached { [self] in
                    try? await Task.sleep(for: delay)
                    appendWaiting()
                }
            }
        }
    }

    private func deliver(_ envelope: EventEnvelope, id: UInt64) {
        var envelope = envelope
        envelope.id = id
        EventEnvelopeEncoder.finish(&envelope.json, id: id)
        if case .behind(let after) = hub.deliver(PublishedEvent(envelope)) {
            hub.fill(userID: envelope.identity.userID, after: after)
        }
    }

    /// Runs `action` once every event published before this call is in the journal and
    /// delivered to the hub (at once when none is waiting).
    func whenAppended(_ action: @escaping @Sendable () -> Void) {
        let now = queue.withLock { queue -> Bool in
            if queue.done >= queue.queued { return true }
            queue.barriers.append((queue.queued, action))
            return false
        }
        if now { action() }
    }

    /// Waits until nothing waits (a drain, before the process stops), at most `timeout`.
    /// Returns whether everything was appended.
    public func flush(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if queue.withLock({ $0.waiting.isEmpty && !$0.appending }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Events stored in the journal, dropped while it failed, failed appends, and waiting now.
    public var statistics: (appended: Int, dropped: Int, failedAppends: Int, waiting: Int) {
        (appended.load(ordering: .relaxed), dropped.load(ordering: .relaxed), failedAppends.load(ordering: .relaxed),
         queue.withLock { $0.waiting.count })
    }
}

/// The hub's reference to its publisher: weak, since the publisher holds the hub.
struct WeakPublisher: Sendable {
    weak var value: JournaledEventPublisher?
}

extension Array {
    /// The array's elements, leaving it empty (no copy).
    fileprivate mutating func take() -> [Element] {
        var taken: [Element] = []
        swap(&taken, &self)
        return taken
    }
}
