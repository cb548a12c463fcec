import Testing
@testable import ExecutionCore

@Suite("Retained-bytes ledger")
struct RetainedBytesLedgerTests {
    @Test("charges and releases balance per user, per category and globally; empty accounts are dropped")
    func balance() {
        let ledger = RetainedBytesLedger(limits: BudgetLimits(perUserBytes: 1000, globalBytes: 5000))
        #expect(ledger.charge("alice", .contexts, bytes: 300) == nil)
        #expect(ledger.charge("alice", .runs, bytes: 200, items: 2) == nil)
        #expect(ledger.charge("bob", .events, bytes: 400) == nil)
        #expect(ledger.usedBytes("alice") == 500)
        #expect(ledger.globalUsedBytes == 900)
        let usage = ledger.usage("alice")
        #expect(usage[.contexts] == BudgetCategoryUsage(items: 1, bytes: 300))
        #expect(usage[.runs] == BudgetCategoryUsage(items: 2, bytes: 200))
        #expect(usage.budgetBytes == 1000 && usage.globalBudgetBytes == 5000)
        #expect(ledger.figures.retainedBytes[BudgetCategory.events.rawValue] == 400)

        ledger.release("alice", .contexts, bytes: 300)
        ledger.release("alice", .runs, bytes: 200, items: 2)
        ledger.release("bob", .events, bytes: 400)
        #expect(ledger.usedBytes("alice") == 0 && ledger.usedBytes("bob") == 0)
        #expect(ledger.globalUsedBytes == 0)
        #expect(ledger.accountCount == 0)
        #expect(ledger.figures.retainedBytes.allSatisfy { $0 == 0 })
    }

    @Test("a charge past the user's budget is refused and takes nothing; other users are unaffected")
    func userBudget() {
        let ledger = RetainedBytesLedger(limits: BudgetLimits(perUserBytes: 1000, globalBytes: 5000))
        #expect(ledger.charge("alice", .contexts, bytes: 900) == nil)
        #expect(ledger.charge("alice", .contexts, bytes: 101) == .user(budgetBytes: 1000, usedBytes: 900))
        #expect(ledger.usedBytes("alice") == 900 && ledger.globalUsedBytes == 900)
        #expect(ledger.charge("alice", .contexts, bytes: 100) == nil, "exactly the budget fits")
        #expect(ledger.charge("bob", .contexts, bytes: 1000) == nil)
        #expect(ledger.figures.userRefusals == 1 && ledger.figures.globalRefusals == 0)
    }

    @Test("a charge past the global budget is refused as global, even within the user's budget")
    func globalBudget() {
        let ledger = RetainedBytesLedger(limits: BudgetLimits(perUserBytes: 1000, globalBytes: 1500))
        #expect(ledger.charge("alice", .runs, bytes: 1000) == nil)
        #expect(ledger.charge("bob", .runs, bytes: 600) == .global(budgetBytes: 1500, usedBytes: 1000))
        #expect(ledger.usedBytes("bob") == 0 && ledger.globalUsedBytes == 1000)
        #expect(ledger.figures.globalRefusals == 1)
        #expect(ledger.accountCount == 1, "a refused charge leaves no account behind")
    }

    @Test("refusals of holders that make room themselves are not counted; forced charges may overshoot")
    func uncountedAndForced() {
        let ledger = RetainedBytesLedger(limits: BudgetLimits(perUserBytes: 100, globalBytes: 1000))
        #expect(ledger.charge("alice", .events, bytes: 200, countingRefusal: false) != nil)
        #expect(ledger.figures.userRefusals == 0)
        ledger.forceCharge("alice", .runs, bytes: 150)
        #expect(ledger.usedBytes("alice") == 150)
        ledger.release("alice", .runs, bytes: 150)
        #expect(ledger.accountCount == 0 && ledger.globalUsedBytes == 0)
    }

    @Test("many threads charging and releasing leave every figure at zero")
    func concurrentBalance() async {
        let ledger = RetainedBytesLedger(limits: BudgetLimits(perUserBytes: 1 << 30, globalBytes: 1 << 40))
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for round in 0..<2000 {
                        let user = "user-\((worker + round) % 5)"
                        let category = BudgetCategory.allCases[round % BudgetCategory.allCases.count]
                        if ledger.charge(user, category, bytes: round % 97 + 1) == nil {
                            ledger.release(user, category, bytes: round % 97 + 1)
                        }
                    }
                }
            }
        }
        #expect(ledger.globalUsedBytes == 0 && ledger.accountCount == 0)
        #expect(ledger.figures.retainedBytes.allSatisfy { $0 == 0 })
    }

    @Test("the global budget follows half the cgroup memory limit when that is lower; the per-user one never exceeds it")
    func cgroupFitting() {
        let limits = BudgetLimits(perUserBytes: 32 << 20, globalBytes: 1 << 30)
        #expect(limits.fitted(toMemoryLimit: nil) == limits)
        #expect(limits.fitted(toMemoryLimit: 4 << 30) == limits)
        #expect(limits.fitted(toMemoryLimit: 512 << 20).globalBytes == 256 << 20)
        #expect(limits.fitted(toMemoryLimit: 512 << 20).perUserBytes == 32 << 20)
        #expect(limits.fitted(toMemoryLimit: 32 << 20).perUserBytes == 16 << 20)
        #expect(CgroupMemoryLimit.parse("max\n") == nil)
        #expect(CgroupMemoryLimit.parse("536870912\n") == 536_870_912)
        #expect(CgroupMemoryLimit.parse("9223372036854771712\n") == nil, "cgroup v1's 'no limit'")
        #expect(CgroupMemoryLimit.parse("garbage") == nil)
    }
}
