/// The last N ended runs of an engine, oldest overwritten first: bounded, so an engine that runs
/// for hours never grows.
struct RunHistory {
    let capacity: Int
    private var items: [RunSnapshot] = []
    /// Where each record sits in `items`, so a lookup by id does not scan the ring.
    private var slots: [String: Int] = [:]
    /// Where the next record goes once the ring is full.
    private var next = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { items.count }

    /// Keeps `snapshot`; returns the id of the oldest record it overwrote, if the ring was full.
    @discardableResult
    mutating func append(_ snapshot: RunSnapshot) -> String? {
        if items.count < capacity {
            slots[snapshot.id] = items.count
            items.append(snapshot)
            return nil
        }
        let evicted = items[next].id
        slots.removeValue(forKey: evicted)
        slots[snapshot.id] = next
        items[next] = snapshot
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
