import Testing
@testable import ExecutionCore

@Suite("Budgets: contexts")
struct ContextBudgetTests {
    let clock = ManualClock()
    let policy = ContextPolicy()

    func context(_ user: String, _ thread: String, payload: Int = 100) throws -> UserExecutionContext {
        try policy.makeContext(userID: user, threadID: thread, agentContext: ["note": .string(String(repeating: "x", count: payload))],
                               clock: clock)
    }

    @Test("each context is charged its measured size; removal, expiry and the sweep give it all back")
    func chargedAndReleased() throws {
        let ledger = RetainedBytesLedger()
        let registry = ContextRegistry(store: InMemoryContextStore(ledger: ledger), ttl: .seconds(60), clock: clock, sweepInterval: nil)
        let first = try context("alice", "thread-a", payload: 1000)
        try registry.register(first)
        #expect(ledger.usedBytes("alice") == RetainedSize.of(first))
        #expect(RetainedSize.of(first) > 1000 + RetainedSize.contextOverhead)
        try registry.register(first) // a refresh charges nothing more
        #expect(ledger.usage("alice")[.contexts].items == 1)
        for index in 0..<5 { try registry.register(try context("alice", "thread-\(index)")) }
        #expect(ledger.usage("alice")[.contexts].items == 6)

        #expect(registry.remove(requestID: first.requestID, userID: "alice"))
        #expect(ledger.usage("alice")[.contexts].items == 5)
        clock.advance(by: .seconds(61))
        #expect(registry.sweepExpired() == 5)
        #expect(ledger.usedBytes("alice") == 0 && ledger.globalUsedBytes == 0 && ledger.accountCount == 0)
    }

    @Test("past the user's budget a context is refused (budgetExceeded) without taking a slot; after a delete it fits again")
    func refusedThenFits() throws {
        let probe = try context("alice", "thread-p")
        let ledger = RetainedBytesLedger(limits: BudgetLimits(perUserBytes: RetainedSize.of(probe) * 3, globalBytes: 1 << 30))
        let store = InMemoryContextStore(ledger: ledger)
        let registry = ContextRegistry(store: store, ttl: .seconds(60), clock: clock, sweepInterval: nil)
        var kept: [UserExecutionContext] = []
        for index in 0..<3 {
            let made = try context("alice", "thread-\(index)")
            try registry.register(made)
            kept.append(made)
        }
        let refused = try context("alice", "thread-9")
        #expect(throws: ContextRegistryError.budgetExceeded(.user(budgetBytes: RetainedSize.of(probe) * 3,
                                                                  usedBytes: ledger.usedBytes("alice")))) {
            try registry.register(refused)
        }
        #expect(registry.count(userID: "alice") == 3 && store.totalCount == 3)
        try registry.register(try context("bob", "thread-1")) // another user is not affected
        registry.remove(requestID: kept[0].requestID, userID: "alice")
        try registry.register(try context("alice", "thread-9"))
        #expect(registry.removeWithDescendants(requestID: kept[1].requestID, userID: "alice") != nil)
        for made in registry.contexts(userID: "alice") + registry.contexts(userID: "bob") {
            registry.remove(requestID: made.requestID, userID: made.userID)
        }
        #expect(ledger.globalUsedBytes == 0 && ledger.accountCount == 0)
    }
}
