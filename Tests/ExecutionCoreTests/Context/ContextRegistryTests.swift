import Testing
@testable import ExecutionCore
import IsolationdTesting

@Suite("Context registry")
struct ContextRegistryTests {
    let policy = ContextPolicy()
    let clock = ManualClock()

    func context(_ user: String, thread: String = "thread-1") throws -> UserExecutionContext {
        try policy.makeContext(userID: user, threadID: thread, clock: clock)
    }

    @Test("lookups are scoped by user: another user's request id is not found")
    func scopedLookups() throws {
        let registry = ContextRegistry(ttl: .seconds(60), clock: clock, sweepInterval: nil)
        let alice = try context("alice")
        let bob = try context("bob")
        try registry.register(alice)
        try registry.register(bob)
        #expect(registry.context(requestID: alice.requestID, userID: "alice") == alice)
        #expect(registry.context(requestID: alice.requestID, userID: "bob") == nil)
        #expect(registry.contexts(userID: "bob") == [bob])
        #expect(!registry.remove(requestID: alice.requestID, userID: "bob"))
        #expect(registry.remove(requestID: alice.requestID, userID: "alice"))
        #expect(registry.context(requestID: alice.requestID, userID: "alice") == nil)
        #expect(registry.totalCount == 1)
    }

    @Test("removing a context removes its descendants, and nothing else")
    func removeWithDescendants() throws {
        let registry = ContextRegistry(ttl: .seconds(60), clock: clock, sweepInterval: nil)
        let root = try context("alice")
        let child = try root.child(operationName: "search", policy: policy, clock: clock)
        let grandchild = try child.child(operationName: "fetch", policy: policy, clock: clock)
        let sibling = try root.child(operationName: "summarise", policy: policy, clock: clock)
        let unrelated = try context("alice", thread: "thread-2")
        let unrelatedChild = try unrelated.child(operationName: "other", policy: policy, clock: clock)
        let bob = try context("bob")
        for context in [root, child, grandchild, sibling, unrelated, unrelatedChild, bob] { try registry.register(context) }

        // A subtree: the child and its grandchild go; the root and the sibling stay.
        #expect(registry.removeWithDescendants(requestID: child.requestID, userID: "alice") == [child.requestID, grandchild.requestID])
        #expect(Set(registry.contexts(userID: "alice").map(\.requestID)) ==
                [root.requestID, sibling.requestID, unrelated.requestID, unrelatedChild.requestID])
        // Another user cannot reach it; an unknown id is nil.
        #expect(registry.removeWithDescendants(requestID: root.requestID, userID: "bob") == nil)
        #expect(registry.removeWithDescendants(requestID: child.requestID, userID: "alice") == nil)
        // The root takes what is left of its tree, not the unrelated one or Bob's.
        #expect(registry.removeWithDescendants(requestID: root.requestID, userID: "alice") == [root.requestID, sibling.requestID])
        #expect(Set(registry.contexts(userID: "alice").map(\.requestID)) == [unrelated.requestID, unrelatedChild.requestID])
        #expect(registry.contexts(userID: "bob") == [bob])
    }

    @Test("each user is bounded; the total is bounded; registering the same context twice is one entry")
    func bounds() throws {
        let store = InMemoryContextStore(maxPerUser: 3, maxTotal: 5)
        let registry = ContextRegistry(store: store, ttl: .seconds(60), clock: clock, sweepInterval: nil)
        var alices: [UserExecutionContext] = []
        for _ in 0..<3 {
            let next = try context("alice")
            alices.append(next)
            try registry.register(next)
        }
        try registry.register(alices[0])
        #expect(registry.count(userID: "alice") == 3)
        #expect(throws: ContextRegistryError.userLimitExceeded(limit: 3)) { try registry.register(try context("alice")) }
        try registry.register(try context("bob"))
        try registry.register(try context("carol"))
        #expect(throws: ContextRegistryError.totalLimitExceeded(limit: 5)) { try registry.register(try context("dave")) }
        registry.remove(requestID: alices[1].requestID, userID: "alice")
        try registry.register(try context("dave"))
        #expect(registry.totalCount == 5)
        #expect(registry.contexts(userID: "alice").map(\.requestID) == [alices[0].requestID, alices[2].requestID])
    }

    @Test("expired contexts vanish at once and are swept; an expired one makes room for a new one")
    func ttl() throws {
        let store = InMemoryContextStore(maxPerUser: 2, maxTotal: 100)
        let registry = ContextRegistry(store: store, ttl: .seconds(3600), clock: clock, sweepInterval: nil)
        let old = try context("alice")
        try registry.register(old)
        clock.advance(by: .seconds(1800))
        let young = try context("alice")
        try registry.register(young)
        clock.advance(by: .seconds(1799))
        #expect(registry.context(requestID: old.requestID, userID: "alice") == old)
        clock.advance(by: .seconds(1))
        #expect(registry.context(requestID: old.requestID, userID: "alice") == nil)
        #expect(registry.contexts(userID: "alice") == [young])
        // The user is at the bound only counting the expired one: a new registration evicts it.
        try registry.register(try context("alice"))
        #expect(registry.count(userID: "alice") == 2)
        clock.advance(by: .seconds(3600))
        #expect(registry.sweepExpired() == 2)
        #expect(registry.totalCount == 0)
    }

    @Test("the background sweep runs every interval on the injected clock and stops on shutdown")
    func backgroundSweep() async throws {
        let registry = ContextRegistry(ttl: .seconds(3600), clock: clock, sweepInterval: .seconds(60))
        for user in ["alice", "bob", "carol"] { try registry.register(try context(user)) }
        #expect(await clock.waitForSleepers(atLeast: 1))
        clock.advance(by: .seconds(60))
        #expect(await eventually { registry.completedSweeps == 1 })
        #expect(registry.totalCount == 3)
        clock.advance(by: .seconds(3600))
        #expect(await eventually { registry.completedSweeps >= 2 && registry.totalCount == 0 })
        await registry.shutdown()
        #expect(clock.sleeperCount == 0)
        let sweeps = registry.completedSweeps
        clock.advance(by: .seconds(600))
        try await Task.sleep(for: .milliseconds(20))
        #expect(registry.completedSweeps == sweeps)
    }
}
