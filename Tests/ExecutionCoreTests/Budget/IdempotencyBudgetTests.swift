import Testing
@testable import ExecutionCore

@Suite("Budgets: idempotency records")
struct IdempotencyBudgetTests {
    let start = Timestamp(nanoseconds: 1_000_000_000_000)

    @Test("a record is charged at begin and for its answer at complete; release, eviction and the sweep give it back")
    func balance() {
        let ledger = RetainedBytesLedger()
        let store = InMemoryIdempotencyStore(ttl: .seconds(60), maxKeysPerUser: 3, ledger: ledger)
        let fingerprint = [UInt8](repeating: 1, count: 32)
        #expect(store.begin(userID: "alice", key: "k1", fingerprint: fingerprint, now: start) == .proceed)
        let reserved = ledger.usedBytes("alice")
        #expect(reserved == RetainedSize.idempotencyOverhead + 2 + 32)
        store.complete(userID: "alice", key: "k1", payload: [UInt8](repeating: 7, count: 500), now: start)
        #expect(ledger.usedBytes("alice") == reserved + 500)
        #expect(ledger.usage("alice")[.idempotency].items == 1)

        #expect(store.begin(userID: "alice", key: "k2", fingerprint: fingerprint, now: start) == .proceed)
        store.release(userID: "alice", key: "k2")
        #expect(ledger.usage("alice")[.idempotency].items == 1)

        for key in ["k3", "k4", "k5", "k6"] { // past max_keys_per_user: the oldest go
            #expect(store.begin(userID: "alice", key: key, fingerprint: fingerprint, now: start) == .proceed)
            store.complete(userID: "alice", key: key, payload: [1, 2, 3], now: start)
        }
        #expect(ledger.usage("alice")[.idempotency].items == 3 && store.count == 3)
        // An expired key used again replaces its old record.
        #expect(store.begin(userID: "alice", key: "k6", fingerprint: fingerprint, now: start + .seconds(61)) == .proceed)
        store.complete(userID: "alice", key: "k6", payload: [1], now: start + .seconds(61))
        #expect(store.sweep(now: start + .seconds(200)) == 3)
        #expect(ledger.accountCount == 0 && ledger.globalUsedBytes == 0)
    }

    @Test("past the budget a new key is refused before the request runs, and nothing is reserved")
    func refused() {
        let ledger = RetainedBytesLedger(limits: BudgetLimits(perUserBytes: 1000, globalBytes: 1 << 30))
        #expect(ledger.charge("alice", .contexts, bytes: 950) == nil)
        let store = InMemoryIdempotencyStore(ledger: ledger)
        let decision = store.begin(userID: "alice", key: "k", fingerprint: [UInt8](repeating: 0, count: 32), now: start)
        #expect(decision == .budgetExceeded(.user(budgetBytes: 1000, usedBytes: 950)))
        #expect(store.count == 0)
        #expect(store.begin(userID: "bob", key: "k", fingerprint: [0], now: start) == .proceed)
    }
}
