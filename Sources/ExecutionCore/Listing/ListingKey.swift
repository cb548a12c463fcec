/// The stable sort key of every list: when an item was created, then its id (creation times can
/// tie). Lists run newest first, i.e. by descending key; a page's cursor is the key of its last
/// item, and the next page starts strictly below it. Keys never change, so an item created while
/// a client pages (a larger key) never shifts the pages still to come.
public struct ListingKey: Hashable, Comparable, Sendable {
    public let createdAt: Timestamp
    public let id: String

    public init(createdAt: Timestamp, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    public static func < (a: ListingKey, b: ListingKey) -> Bool {
        a.createdAt != b.createdAt ? a.createdAt < b.createdAt : a.id < b.id
    }
}

/// One page of a newest-first list: its items, and where the next page starts (nil on the last).
public struct ListingPage<Item: Sendable>: Sendable {
    public let items: [Item]
    /// The key of the last item when more items follow it; pass it as `before` for the next page.
    public let next: ListingKey?

    public init(items: [Item], next: ListingKey?) {
        self.items = items
        self.next = next
    }

    /// A page from up to `limit + 1` items found newest first: the extra one only proves that a
    /// next page exists.
    public init(probing found: [Item], limit: Int, key: (Item) -> ListingKey) {
        if found.count > limit {
            let items = Array(found.prefix(limit))
            self.init(items: items, next: items.last.map(key))
        } else {
            self.init(items: found, next: nil)
        }
    }
}
