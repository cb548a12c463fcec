/// A binary min-heap of (deadline, token) pairs: a loop's timers. Connections keep one deadline
/// each and re-arm lazily (see `LoopRuntime.armTimer`), so pushing a later deadline for a busy
/// keep-alive connection costs nothing on the hot path.
struct TimerHeap {
    struct Entry {
        var deadline: UInt64
        var token: UInt64
    }

    private var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    /// The earliest deadline, if any.
    var earliest: UInt64? { entries.first?.deadline }

    mutating func push(deadline: UInt64, token: UInt64) {
        entries.append(Entry(deadline: deadline, token: token))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: UInt64) -> Entry? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            siftDown(from: 0)
        }
        return first
    }

    mutating func removeAll() { entries.removeAll() }

    /// Drops the entries `drop` names (O(n): for clearing many dead entries at once).
    mutating func removeAll(where drop: (Entry) -> Bool) {
        entries.removeAll(where: drop)
        for index in stride(from: entries.count / 2 - 1, through: 0, by: -1) { siftDown(from: index) }
    }

    private mutating func siftDown(from index: Int) {
        var parent = index
        let count = entries.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            let right = left + 1
            var smallest = left
            if right < count, entries[right].deadline < entries[left].deadline { smallest = right }
            guard entries[smallest].deadline < entries[parent].deadline else { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
