import Testing
@testable import ExecutionCore
import IsolationdTesting

@Suite("Lists of contexts, engines and runs in the core")
struct StoreListingTests {
    let policy = ContextPolicy()

    static func all<Item>(_ pageAt: (ListingKey?) -> ListingPage<Item>) -> [[Item]] {
        var pages: [[Item]] = []
        var cursor: ListingKey?
        repeat {
            let page = pageAt(cursor)
            pages.append(page.items)
            cursor = page.next
        } while cursor != nil
        return pages
    }

    @Test("contexts: owner only, newest first, deleted and expired ones left out, the bound's slots given back")
    func contexts() throws {
        let clock = ManualClock()
        let store = InMemoryContextStore(maxPerUser: 500, maxTotal: 10_000)
        let registry = ContextRegistry(store: store, ttl: .seconds(60), clock: clock, sweepInterval: nil)
        var alice: [String] = []
        for index in 0..<300 {
            let context = try policy.makeContext(userID: "alice", threadID: "thread-\(index)", clock: clock)
            try registry.register(context)
            alice.append(context.requestID)
            try registry.register(try policy.makeContext(userID: "bob", threadID: "thread-\(index)", clock: clock))
            if index % 7 == 0 { clock.advance(by: .milliseconds(1)) } // ties on time in between
        }
        let pages = Self.all { registry.contexts(userID: "alice", before: $0, limit: 40) }
        #expect(pages.count == 8)
        let listed = pages.flatMap { $0 }
        #expect(listed.allSatisfy { $0.userID == "alice" })
        #expect(listed.map(\.listingKey) == listed.map(\.listingKey).sorted(by: >))
        #expect(Set(listed.map(\.requestID)) == Set(alice) && listed.count == alice.count)

        #expect(registry.remove(requestID: alice[10], userID: "alice"))
        let afterDelete = Self.all { registry.contexts(userID: "alice", before: $0, limit: 200) }.flatMap { $0 }
        #expect(afterDelete.count == 299 && !afterDelete.contains { $0.requestID == alice[10] })

        clock.advance(by: .seconds(61))
        let fresh = try policy.makeContext(userID: "alice", threadID: "thread-new", clock: clock)
        try registry.register(fresh)
        // Expired but not yet swept: invisible already.
        #expect(registry.contexts(userID: "alice", before: nil, limit: 50).items.map(\.requestID) == [fresh.requestID])
        #expect(registry.sweepExpired() == 599)
        #expect(registry.count(userID: "alice") == 1 && registry.count(userID: "bob") == 0)
        #expect(registry.contexts(userID: "bob", before: nil, limit: 50).items.isEmpty)
    }

    @Test("engines: owner only, newest first, paged; a cleaned engine leaves the list")
    func engines() throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(maxEnginesPerUser: 30))
        var alice: [String] = []
        for index in 0..<25 {
            alice.append(try fixture.engine(user: "alice", thread: "thread-\(index)").id)
            _ = try fixture.engine(user: "bob", thread: "thread-\(index)")
            fixture.clock.advance(by: .milliseconds(index % 2))
        }
        let pages = Self.all { fixture.factory.summaries(userID: "alice", before: $0, limit: 10) }
        #expect(pages.map(\.count) == [10, 10, 5])
        let listed = pages.flatMap { $0 }
        #expect(listed.allSatisfy { $0.userID == "alice" })
        #expect(listed.map(\.listingKey) == listed.map(\.listingKey).sorted(by: >))
        #expect(Set(listed.map(\.id)) == Set(alice))
        #expect(fixture.factory.cleanup(engineID: alice[3], userID: "alice") == .cleaned)
        let after = fixture.factory.summaries(userID: "alice", before: nil, limit: 100).items.map(\.id)
        #expect(after.count == 24 && !after.contains(alice[3]))
    }

    @Test("runs: owner only, newest first across engines, filters by engine, thread and state, no re-walk")
    func runs() throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(
            maxEnginesPerUser: 5, engine: EngineConfiguration(maxConcurrentRuns: 100, historySize: 5_000)))
        let first = try fixture.engine(user: "alice", thread: "thread-a")
        let second = try fixture.engine(user: "alice", thread: "thread-b")
        let bobs = try fixture.engine(user: "bob", thread: "thread-a")
        var all: [RunSnapshot] = []
        for index in 0..<5_000 {
            let engine = index % 2 == 0 ? first : second
            all.append(try engine.startRun(agent: "sync-echo", input: .integer(Int64(index))))
            _ = try bobs.startRun(agent: "sync-echo")
            if index % 3 == 0 { fixture.clock.advance(by: .microseconds(1)) }
        }
        fixture.clock.advance(by: .microseconds(1)) // later than every run above (ids break ties at random)
        let live = try first.startRun(agent: "controlled")
        let pages = Self.all { fixture.factory.runs(userID: "alice", before: $0, limit: 200) }
        let listed = pages.flatMap { $0 }
        #expect(listed.count == 5_001 && pages.count == 26)
        #expect(listed.first?.id == live.id && listed.first?.state == .running)
        #expect(listed.map(\.listingKey) == listed.map(\.listingKey).sorted(by: >))
        #expect(Set(listed.map(\.id)).count == 5_001)
        #expect(listed.allSatisfy { $0.userID == "alice" })

        let byEngine = Self.all { fixture.factory.runs(userID: "alice", filter: RunListFilter(engineID: second.id), before: $0, limit: 200) }
        #expect(byEngine.flatMap { $0 }.map(\.id) == listed.filter { $0.engineID == second.id }.map(\.id))
        let byThread = fixture.factory.runs(userID: "alice", filter: RunListFilter(threadID: "thread-a"), before: nil, limit: 200)
        #expect(byThread.items.allSatisfy { $0.engineID == first.id } && byThread.items.count == 200)
        let running = fixture.factory.runs(userID: "alice", filter: RunListFilter(state: .running), before: nil, limit: 200)
        #expect(running.items.map(\.id) == [live.id] && running.next == nil)
        let completed = Self.all { fixture.factory.runs(userID: "alice", filter: RunListFilter(state: .completed), before: $0, limit: 150) }
        #expect(completed.flatMap { $0 }.count == 5_000)
        #expect(fixture.factory.runs(userID: "alice", filter: RunListFilter(engineID: bobs.id), before: nil, limit: 10).items.isEmpty)
        #expect(fixture.factory.runs(userID: "carol", before: nil, limit: 10).items.isEmpty)
    }

    @Test("runs pushed out of history, and the runs of a cleaned engine, leave the list")
    func runsLeave() throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(engine: EngineConfiguration(historySize: 5)))
        let engine = try fixture.engine()
        var ids: [String] = []
        for index in 0..<12 { ids.append(try engine.startRun(agent: "sync-echo", input: .integer(Int64(index))).id) }
        let listed = fixture.factory.runs(userID: "alice", before: nil, limit: 50).items.map(\.id)
        #expect(Set(listed) == Set(ids.suffix(5)) && listed.count == 5)
        #expect(fixture.factory.cleanup(engineID: engine.id, userID: "alice") == .cleaned)
        #expect(fixture.factory.runs(userID: "alice", before: nil, limit: 50).items.isEmpty)
    }
}
