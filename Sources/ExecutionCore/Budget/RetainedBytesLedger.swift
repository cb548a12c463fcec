import Synchronization
import VisibleLocks

/// Counts the bytes the service keeps for each user, against a per-user and a global budget.
///
/// Every holder of user data (context store, engines' run tables, replay rings, subscriber
/// queues, idempotency store) calls `charge` before it keeps something and `release` with the
/// same bytes, category and items exactly once when it lets it go (expired, deleted, evicted,
/// cleaned). A refused charge keeps nothing and changes nothing. `forceCharge` is for what must
/// be kept anyway (a bounded item the service cannot refuse, see its callers) and may overshoot.
///
/// Cost per call: one short lock of the user's shard (a dictionary lookup, a few adds) and a few
/// relaxed atomics; no walk. Accounts of users holding nothing are dropped, so the table holds
/// only users who keep something.
public final class RetainedBytesLedger: Sendable {
    public let limits: BudgetLimits

    private struct Account {
        var bytes = 0
        /// Per category, indexed by `BudgetCategory.rawValue`.
        var categories = [BudgetCategoryUsage](repeating: BudgetCategoryUsage(), count: BudgetCategory.allCases.count)

        var isEmpty: Bool { bytes == 0 && categories.allSatisfy { $0.items == 0 && $0.bytes == 0 } }
    }

    private final class Shard: Sendable {
        let accounts = VisibleMutex([String: Account]())
    }

    /// Service-wide bytes of one category (for `/metrics`).
    private final class CategoryTotal: Sendable {
        let bytes = Atomic<Int>(0)
    }

    private let shards: [Shard]
    private let global = Atomic<Int>(0)
    private let categoryTotals: [CategoryTotal]
    private let userRefusals = Atomic<UInt64>(0)
    private let globalRefusals = Atomic<UInt64>(0)

    public init(limits: BudgetLimits = BudgetLimits(), shardCount: Int = 32) {
        self.limits = limits
        shards = (0..<max(1, shardCount)).map { _ in Shard() }
        categoryTotals = BudgetCategory.allCases.map { _ in CategoryTotal() }
    }

    private func shard(_ userID: String) -> Shard {
        shards[Int(UInt(bitPattern: userID.hashValue) % UInt(shards.count))]
    }

    /// Takes `bytes` (and `items`) from the user's and the global budget, or refuses and takes
    /// nothing. A charge of zero bytes always succeeds. `countingRefusal: false` for a holder that
    /// makes room itself on refusal (the replay ring, a subscriber queue): its refusals are no
    /// refused requests, so they stay out of `isolationd_budget_refusals_total`.
    public func charge(_ userID: String, _ category: BudgetCategory, bytes: Int, items: Int = 1,
                       countingRefusal: Bool = true) -> BudgetRefusal? {
        let bytes = max(0, bytes)
        let refusal: BudgetRefusal? = shard(userID).accounts.withLock { accounts in
            let used = accounts[userID]?.bytes ?? 0
            if bytes > 0, used + bytes > limits.perUserBytes {
                return .user(budgetBytes: limits.perUserBytes, usedBytes: used)
            }
            let globalNow = global.wrappingAdd(bytes, ordering: .relaxed).newValue
            if bytes > 0, globalNow > limits.globalBytes {
                global.wrappingSubtract(bytes, ordering: .relaxed)
                return .global(budgetBytes: limits.globalBytes, usedBytes: globalNow - bytes)
            }
            Self.add(&accounts[userID, default: Account()], category, bytes: bytes, items: items)
            return nil
        }
        switch refusal {
        case nil: categoryTotals[category.rawValue].bytes.wrappingAdd(bytes, ordering: .relaxed)
        case .user? where countingRefusal: userRefusals.wrappingAdd(1, ordering: .relaxed)
        case .global? where countingRefusal: globalRefusals.wrappingAdd(1, ordering: .relaxed)
        case .user?, .global?: break
        }
        return refusal
    }

    /// Takes `bytes` whatever the budgets say (may pass them). For bounded items the service
    /// must keep once they exist (see the callers for why each one may).
    public func forceCharge(_ userID: String, _ category: BudgetCategory, bytes: Int, items: Int = 1) {
        let bytes = max(0, bytes)
        shard(userID).accounts.withLock { accounts in
            global.wrappingAdd(bytes, ordering: .relaxed)
            Self.add(&accounts[userID, default: Account()], category, bytes: bytes, items: items)
        }
        categoryTotals[category.rawValue].bytes.wrappingAdd(bytes, ordering: .relaxed)
    }

    /// Gives back what a charge took (once per charge, with the same figures).
    public func release(_ userID: String, _ category: BudgetCategory, bytes: Int, items: Int = 1) {
        let bytes = max(0, bytes)
        guard bytes > 0 || items != 0 else { return }
        shard(userID).accounts.withLock { accounts in
            guard var account = accounts[userID] else {
                assertionFailure("a release for \(userID) without a charge")
                return
            }
            Self.add(&account, category, bytes: -bytes, items: -items)
            global.wrappingSubtract(bytes, ordering: .relaxed)
            accounts[userID] = account.isEmpty ? nil : account
        }
        categoryTotals[category.rawValue].bytes.wrappingSubtract(bytes, ordering: .relaxed)
    }

    private static func add(_ account: inout Account, _ category: BudgetCategory, bytes: Int, items: Int) {
        account.bytes += bytes
        account.categories[category.rawValue].bytes += bytes
        account.categories[category.rawValue].items += items
    }

    // MARK: - Reading

    /// Bytes the user holds now.
    public func usedBytes(_ userID: String) -> Int {
        shard(userID).accounts.withLock { $0[userID]?.bytes ?? 0 }
    }

    /// Bytes held by everyone now.
    public var globalUsedBytes: Int { global.load(ordering: .relaxed) }

    /// Users holding anything now (for tests: zero once everything is gone).
    public var accountCount: Int { shards.reduce(0) { $0 + $1.accounts.withLock { $0.count } } }

    /// The user's usage, by category, with the budgets.
    public func usage(_ userID: String) -> BudgetUsage {
        let account = shard(userID).accounts.withLock { $0[userID] } ?? Account()
        return BudgetUsage(usedBytes: account.bytes, budgetBytes: limits.perUserBytes, categories: account.categories,
                           globalBudgetBytes: limits.globalBytes, globalUsedBytes: globalUsedBytes)
    }

    /// Aggregated figures for `/metrics`.
    public var figures: BudgetFigures {
        BudgetFigures(globalBudgetBytes: limits.globalBytes, perUserBudgetBytes: limits.perUserBytes,
                      retainedBytes: categoryTotals.map { $0.bytes.load(ordering: .relaxed) },
                      userRefusals: userRefusals.load(ordering: .relaxed),
                      globalRefusals: globalRefusals.load(ordering: .relaxed))
    }
}
