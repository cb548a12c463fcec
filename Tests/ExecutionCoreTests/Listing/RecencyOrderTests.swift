import Testing
@testable import ExecutionCore

@Suite("Newest-first order and seek (RecencyOrder, ListingPage)")
struct RecencyOrderTests {
    static func key(_ nanoseconds: Int64, _ id: String) -> ListingKey {
        ListingKey(createdAt: Timestamp(nanoseconds: nanoseconds), id: id)
    }

    /// Pages through `order` with `limit`, the way the API does (limit + 1 probes for a next page).
    static func pages(_ order: RecencyOrder<Int>, limit: Int, matching: @escaping (Int) -> Bool = { _ in true }) -> [[Int]] {
        var pages: [[Int]] = []
        var cursor: ListingKey?
        repeat {
            let page = ListingPage(probing: order.newest(before: cursor, limit: limit + 1, matching: matching),
                                   limit: limit, key: \.key)
            pages.append(page.items.map(\.value))
            cursor = page.next
        } while cursor != nil
        return pages
    }

    @Test("keys sort by created_at, then id; ties on time are broken by id")
    func keyOrder() {
        #expect(Self.key(1, "b") < Self.key(2, "a"))
        #expect(Self.key(2, "a") < Self.key(2, "b"))
        #expect(!(Self.key(2, "b") < Self.key(2, "b")))
    }

    @Test("inserted out of order, read newest first; duplicates replace; remove unlists")
    func insertAndRemove() {
        var order = RecencyOrder<Int>()
        for (time, id, value) in [(5, "e", 5), (1, "a", 1), (3, "c", 3), (3, "b", 2), (9, "z", 9), (3, "c", 4)] {
            order.insert(Self.key(Int64(time), id), value)
        }
        #expect(order.count == 5)
        #expect(order.newest(before: nil, limit: 10).map(\.value) == [9, 5, 4, 2, 1])
        #expect(order.remove(Self.key(3, "b")) == 2)
        #expect(order.remove(Self.key(3, "b")) == nil)
        #expect(order.remove(Self.key(4, "c")) == nil, "same id, other time: not the same key")
        #expect(order.newest(before: nil, limit: 10).map(\.value) == [9, 5, 4, 1])
    }

    @Test("a cursor is exclusive, and need not be a key still present")
    func cursorSeeks() {
        var order = RecencyOrder<Int>()
        for value in 0..<10 { order.insert(Self.key(Int64(value * 10), "id-\(value)"), value) }
        #expect(order.newest(before: Self.key(50, "id-5"), limit: 3).map(\.value) == [4, 3, 2])
        #expect(order.newest(before: Self.key(55, "gone"), limit: 2).map(\.value) == [5, 4])
        #expect(order.newest(before: Self.key(0, "id-0"), limit: 5).isEmpty)
        #expect(order.newest(before: nil, limit: 0).isEmpty)
    }

    @Test("10,000 items paged by 200 (and by 7 under a filter) are each visited exactly once, in order")
    func pagingVisitsEachOnce() {
        var order = RecencyOrder<Int>()
        // Many ties on time: ids decide among them.
        for value in 0..<10_000 { order.insert(Self.key(Int64(value / 3), "id-" + String(String(value + 100_000).dropFirst())), value) }
        let pages = Self.pages(order, limit: 200)
        #expect(pages.count == 50)
        #expect(pages.allSatisfy { $0.count == 200 })
        #expect(pages.flatMap { $0 } == Array((0..<10_000).reversed()))
        let odd = Self.pages(order, limit: 7) { $0 % 2 == 1 }.flatMap { $0 }
        #expect(odd == Array((0..<10_000).reversed()).filter { $0 % 2 == 1 })
    }

    @Test("items created while paging land before the cursor: the pages still to come do not shift")
    func stableWhileGrowing() {
        var order = RecencyOrder<Int>()
        for value in 0..<100 { order.insert(Self.key(Int64(value), "id-\(value)"), value) }
        var seen: [Int] = []
        var cursor: ListingKey?
        var next = 100
        repeat {
            let page = ListingPage(probing: order.newest(before: cursor, limit: 11), limit: 10, key: \.key)
            seen += page.items.map(\.value)
            cursor = page.next
            for _ in 0..<5 { order.insert(Self.key(Int64(next), "id-\(next)"), next); next += 1 }
        } while cursor != nil
        #expect(seen == Array((0..<100).reversed()))
    }

    @Test("a page's cost does not grow with the pages before it: it reads about a page of entries")
    func seekCost() {
        var order = RecencyOrder<Int>()
        for value in 0..<10_000 { order.insert(Self.key(Int64(value), "id-\(value)"), value) }
        var examinedFirst = 0
        _ = order.newest(before: nil, limit: 201) { _ in examinedFirst += 1; return true }
        var examinedLast = 0
        _ = order.newest(before: Self.key(200, "id-200"), limit: 201) { _ in examinedLast += 1; return true }
        #expect(examinedFirst == 201)
        #expect(examinedLast == 200, "the last page reads only what is below its cursor")
    }

    @Test("a page of exactly limit items has no next; limit + 1 has one, keyed on the last item")
    func probing() {
        let items = [3, 2, 1]
        let full = ListingPage(probing: items, limit: 3) { Self.key(Int64($0), "x") }
        #expect(full.items == items && full.next == nil)
        let more = ListingPage(probing: items, limit: 2) { Self.key(Int64($0), "x") }
        #expect(more.items == [3, 2] && more.next == Self.key(2, "x"))
    }
}
