/// The last N ended runs of an engine, oldest overwritten first: bounded, so an engine that runs
/// for hours never grows.
struct RunHistory {
    let capacity: Int
    private var items: [RunSnapshot] = []
    /// Where the next record goes once the ring is full.
    private var next = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { items.count }

    mutating func append(_ snapshot: RunSnapshot) {
        if items.count < capacity {
            items.append(snapshot)
        } else {
            items[next] = snapshot
            next = (next + 1) % capacity
        }
    }

    func find(_ id: String) -> RunSnapshot? {
        items.first { $0.id == id }
    }

    /// Oldest first.
    var ordered: [RunSnapshot] {
        Array(items[next...]) + Array(items[..<next])
    }
}
