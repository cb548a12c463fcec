/// The last N ended runs of an engine, oldest overwritten first: bounded, so an engine that runs
/// for hours never grows.
struct RunHistory {
    /// A record the ring overwrote: its id, and what its budget charge was (to give back).
    struct Eviction: Equatable {
        let id: String
        let charged: Int
    }

    let capacity: Int
    private var items: [RunSnapshot] = []
    /// What each record was charged (`RetainedBytesLedger`), parallel to `items`.
    private var charges: [Int] = []
    /// Where each record sits in `items`, so a lookup by id does not scan the ring.
    private var slots: [String: Int] = [:]
    /// Where the next record goes once the ring is full.
    private var next = 0
    /// The sum of `charges`: what the whole history gives back when its engine is cleaned.
    private(set) var chargedBytes = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { items.count }

    /// Keeps `snapshot`; returns the id of the oldest record it overwrote, if the ring was full.
    @discardableResult
    mutating func append(_ snapshot: RunSnapshot) -> String? {
        append(snapshot, charged: 0)?.id
    }

    /// Keeps `snapshot`, charged `charged` bytes; returns the oldest record it overwrote (whose
    /// charge the caller releases), if the ring was full.
    mutating func append(_ snapshot: RunSnapshot, charged: Int) -> Eviction? {
        chargedBytes += charged
        if items.count < capacity {
            slots[snapshot.id] = items.count
            items.append(snapshot)
            charges.append(charged)
            return nil
        }
        let evicted = Eviction(id: items[next].id, charged: charges[next])
        chargedBytes -= evicted.charged
        slots.removeValue(forKey: evicted.id)
        slots[snapshot.id] = next
        items[next] = snapshot
        charges[next] = charged
        next = (next + 1) % capacity
        return evicted
    }

    func find(_ id: String) -> RunSnapshot? {
        slots[id].map { items[$0] }
    }

    /// Every id in the ring.
    var ids: [String] { items.map(\.id) }

    /// Oldest first.
    var ordered: [RunSnapshot] {
        Array(items[next...]) + Array(items[..<next])
    }
}
