/// Items of one owner kept sorted by `ListingKey`, so a page of a newest-first list is a binary
/// search to its cursor and a walk of the page's length: page 500 costs what page 1 costs, instead
/// of re-walking (and re-sorting) everything before the cursor.
///
/// Items are almost always created in key order, so inserting is an append; removing is a binary
/// search and a move of the items after it (bounded by what one owner may hold).
public struct RecencyOrder<Value: Sendable>: Sendable {
    public struct Entry: Sendable {
        public let key: ListingKey
        public let value: Value
    }

    /// Ascending by key.
    private var entries: [Entry] = []

    public init() {}

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The index of the first entry whose key is not below `key`.
    private func lowerBound(_ key: ListingKey) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].key < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Keeps `value` under `key` (a key already present is replaced).
    public mutating func insert(_ key: ListingKey, _ value: Value) {
        if let last = entries.last, last.key < key {
            entries.append(Entry(key: key, value: value))
            return
        }
        let index = lowerBound(key)
        if index < entries.count, entries[index].key == key {
            entries[index] = Entry(key: key, value: value)
        } else {
            entries.insert(Entry(key: key, value: value), at: index)
        }
    }

    /// Forgets the entry under `key`; its value, nil when there was none.
    @discardableResult
    public mutating func remove(_ key: ListingKey) -> Value? {
        let index = lowerBound(key)
        guard index < entries.count, entries[index].key == key else { return nil }
        return entries.remove(at: index).value
    }

    /// Up to `limit` entries `matching`, newest first, all strictly below `before` (nil: from the
    /// newest). Walks only from the cursor down, and stops at `limit`.
    public func newest(before: ListingKey?, limit: Int, matching: (Value) -> Bool = { _ in true }) -> [Entry] {
        guard limit > 0 else { return [] }
        var index = before.map(lowerBound) ?? entries.count
        var found: [Entry] = []
        found.reserveCapacity(min(limit, index))
        while index > 0, found.count < limit {
            index -= 1
            if matching(entries[index].value) { found.append(entries[index]) }
        }
        return found
    }
}
