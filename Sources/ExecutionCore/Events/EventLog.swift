/// One user's ordered event log: it numbers events and keeps the most recent ones for resume.
///
/// The hub calls a log only while holding that user's lock, so an implementation sees one
/// caller at a time and needs no locking of its own. `InMemoryEventLog` is the embedded default;
/// a shared store (an event table keyed by user and id) can implement the same four members.
public protocol EventLog: Sendable {
    /// The newest event's id; the id given to the first event is `lastID + 1` of a fresh log.
    var lastID: UInt64 { get }
    /// The oldest id still retained; `lastID + 1` when nothing is retained.
    var firstRetainedID: UInt64 { get }
    /// How many events are retained (for metrics).
    var retainedCount: Int { get }
    /// Records `event`, whose id is always `lastID + 1`. Returns how many older events fell out
    /// of retention to make room.
    mutating func append(_ event: PublishedEvent) -> Int
    /// Retained events with an id greater than `id`, oldest first.
    func events(after id: UInt64) -> [PublishedEvent]
}

/// Makes the log for a user. `lastID` is the last id that user was given earlier in this process
/// (0 for a new user), so a log made again after eviction continues the sequence.
public typealias EventLogFactory = @Sendable (_ userID: String, _ lastID: UInt64) -> any EventLog

/// A fixed-capacity ring of the newest events, in memory.
public struct InMemoryEventLog: EventLog {
    public let capacity: Int
    private var storage: [PublishedEvent] = []
    /// Index in `storage` of the oldest retained event once the ring is full.
    private var head = 0
    public private(set) var lastID: UInt64

    public init(capacity: Int, startingAfter lastID: UInt64 = 0) {
        self.capacity = max(1, capacity)
        self.lastID = lastID
    }

    public var retainedCount: Int { storage.count }
    public var firstRetainedID: UInt64 { lastID + 1 - UInt64(storage.count) }

    public mutating func append(_ event: PublishedEvent) -> Int {
        lastID = event.envelope.id
        if storage.count < capacity {
            if storage.isEmpty { storage.reserveCapacity(min(capacity, 64)) }
            storage.append(event)
            return 0
        }
        storage[head] = event
        head += 1
        if head == capacity { head = 0 }
        return 1
    }

    public func events(after id: UInt64) -> [PublishedEvent] {
        let first = firstRetainedID
        let skip = id < first ? 0 : Int(clamping: id - first + 1)
        let available = storage.count - min(skip, storage.count)
        guard available > 0 else { return [] }
        var out: [PublishedEvent] = []
        out.reserveCapacity(available)
        // Oldest retained sits at `head` once the ring wrapped, at 0 before.
        let start = storage.count < capacity ? 0 : head
        var index = (start + (storage.count - available)) % storage.count
        for _ in 0..<available {
            out.append(storage[index])
            index += 1
            if index == storage.count { index = 0 }
        }
        return out
    }
}
