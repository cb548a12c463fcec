/// A binary min-heap of (deadline, token) pairs: a reactor's timers, handler timers and
/// scheduled tasks alike (the token says which). Entries are never removed early: a cancelled
/// or superseded one is recognised as stale when it comes due (see `ReactorTimers`).
struct TimerHeap {
    struct Entry: Equatable {
        var deadline: UInt64
        var token: UInt64
    }

    private(set) var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    /// The earliest deadline, if any.
    var earliest: UInt64? { entries.first?.deadline }

    mutating func push(deadline: UInt64, token: UInt64) {
        entries.append(Entry(deadline: deadline, token: token))
        siftUp(from: entries.count - 1)
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

    /// Keeps only the entries `keep` accepts, then restores the heap order (O(n)).
    mutating func removeAll(where drop: (Entry) -> Bool) {
        entries.removeAll(where: drop)
        var index = entries.count / 2
        while index > 0 {
            index -= 1
            siftDown(from: index)
        }
    }

    private mutating func siftUp(from index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { return }
            entries.swapAt(child, parent)
            child = parent
        }
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
