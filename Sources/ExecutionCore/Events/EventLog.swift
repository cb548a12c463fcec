/// One user's ordered event log: it numbers events and keeps the most recent ones for resume.
///
/// The hub calls a log only while holding that user's lock, so an implementation sees one
/// caller at a time and needs no locking of its own. `InMemoryEventLog` is the embedded default;
/// a shared store (an event table keyed by user and id) can implement the same members.
public protocol EventLog: Sendable {
    /// The newest event's id; the id given to the first event is `lastID + 1` of a fresh log.
    var lastID: UInt64 { get }
    /// The oldest id still retained; `lastID + 1` when nothing is retained.
    var firstRetainedID: UInt64 { get }
    /// How many events are retained (for metrics).
    var retainedCount: Int { get }
    /// Bytes the retained events keep in this process (`RetainedSize.of(event:)` each), which
    /// the hub charges to the user's budget. A log kept elsewhere (a database) answers 0.
    var retainedBytes: Int { get }
    /// Records `event`, whose id is always `lastID + 1`. Returns how many older events fell out
    /// of retention to make room.
    mutating func append(_ event: PublishedEvent) -> Int
    /// Lets the oldest retained event go (the user's budget is full); returns the bytes freed,
    /// nil when nothing is retained or the log cannot.
    mutating func dropOldest() -> Int?
    /// Retained events with an id greater than `id`, oldest first.
    func events(after id: UInt64) -> [PublishedEvent]
    /// Forgets every retained event and numbers on after `id` (a journal numbers the events and
    /// this log missed some it has no subscriber for: it starts again at the journal's count).
    mutating func restart(after id: UInt64)
}

extension EventLog {
    public var retainedBytes: Int { 0 }
    public mutating func dropOldest() -> Int? { nil }
}

/// Makes the log for a user. `lastID` is the last id that user was given earlier in this process
/// (0 for a new user), so a log made again after eviction continues the sequence.
public typealias EventLogFactory = @Sendable (_ userID: String, _ lastID: UInt64) -> any EventLog

/// A ring of the newest events, in memory: at most `capacity`, fewer when the user's budget made
/// it let its oldest go (`dropOldest`). It keeps each event's encoded bytes (and the few strings
/// of its identity), never a parsed copy of its data.
public struct InMemoryEventLog: EventLog {
    public let capacity: Int
    /// Grows to `capacity`, then wraps. Retained events are `retainedCount` slots from `head`;
    /// until the array reaches `capacity` they never wrap (new ones are appended).
    private var slots: [PublishedEvent?] = []
    /// Index of the oldest retained event.
    private var head = 0
    public private(set) var retainedCount = 0
    public private(set) var retainedBytes = 0
    public private(set) var lastID: UInt64

    public init(capacity: Int, startingAfter lastID: UInt64 = 0) {
        self.capacity = max(1, capacity)
        self.lastID = lastID
    }

    public var firstRetainedID: UInt64 { lastID + 1 - UInt64(retainedCount) }

    public mutating func append(_ event: PublishedEvent) -> Int {
        lastID = event.envelope.id
        let dropped = retainedCount == capacity && dropOldest() != nil ? 1 : 0
        if slots.count < capacity {
            if slots.isEmpty { slots.reserveCapacity(min(capacity, 64)) }
            slots.append(event)
        } else {
            slots[(head + retainedCount) % capacity] = event
        }
        retainedCount += 1
        retainedBytes += RetainedSize.of(event: event)
        return dropped
    }

    public mutating func dropOldest() -> Int? {
        guard retainedCount > 0, let oldest = slots[head] else { return nil }
        slots[head] = nil
        head = head + 1 == slots.count && slots.count == capacity ? 0 : head + 1
        retainedCount -= 1
        if retainedCount == 0, slots.count < capacity { slots.removeAll(keepingCapacity: true); head = 0 }
        let freed = RetainedSize.of(event: oldest)
        retainedBytes -= freed
        return freed
    }

    public mutating func restart(after id: UInt64) {
        slots.removeAll(keepingCapacity: true)
        head = 0
        retainedCount = 0
        retainedBytes = 0
        lastID = id
    }

    public func events(after id: UInt64) -> [PublishedEvent] {
        let first = firstRetainedID
        let skip = id < first ? 0 : Int(clamping: id - first + 1)
        let available = retainedCount - min(skip, retainedCount)
        guard available > 0 else { return [] }
        var out: [PublishedEvent] = []
        out.reserveCapacity(available)
        var index = (head + (retainedCount - available)) % slots.count
        for _ in 0..<available {
            if let event = slots[index] { out.append(event) }
            index += 1
            if index == slots.count { index = 0 }
        }
        return out
    }
}
