/// What the service keeps for a user, by kind: the categories of `RetainedBytesLedger`, reported
/// per user by `GET /v1/usage` and in total by `/metrics` (never per user there).
public enum BudgetCategory: Int, Sendable, CaseIterable {
    /// Live contexts (their measured JSON size).
    case contexts
    /// Runs: inputs of queued and running runs, and ended runs kept in engines' history (results).
    case runs
    /// Events kept in the user's replay ring.
    case events
    /// Idempotency records (key, fingerprint and the stored answer).
    case idempotency
    /// Live events waiting in subscribers' queues for a slow reader.
    case subscriptions

    /// The name used in `/v1/usage` and as the `category` label in `/metrics`.
    public var name: String {
        switch self {
        case .contexts: "contexts"
        case .runs: "runs"
        case .events: "events"
        case .idempotency: "idempotency"
        case .subscriptions: "subscriptions"
        }
    }
}

/// Why a charge was refused.
public enum BudgetRefusal: Error, Sendable, Equatable {
    /// The user's retained bytes would pass their budget: they hold `usedBytes` of `budgetBytes`.
    case user(budgetBytes: Int, usedBytes: Int)
    /// The service's retained bytes would pass the global budget.
    case global(budgetBytes: Int, usedBytes: Int)
}

/// Bytes and items one category holds.
public struct BudgetCategoryUsage: Sendable, Equatable {
    public var items: Int
    public var bytes: Int

    public init(items: Int = 0, bytes: Int = 0) {
        self.items = items
        self.bytes = bytes
    }
}

/// One user's retained bytes against their budget, and the global budget beside it.
public struct BudgetUsage: Sendable, Equatable {
    public var usedBytes: Int
    public var budgetBytes: Int
    /// Indexed by `BudgetCategory.rawValue`.
    public var categories: [BudgetCategoryUsage]
    public var globalBudgetBytes: Int
    public var globalUsedBytes: Int

    public subscript(category: BudgetCategory) -> BudgetCategoryUsage { categories[category.rawValue] }
}

/// Service-wide figures for `/metrics`: aggregated, never by user.
public struct BudgetFigures: Sendable, Equatable {
    public var globalBudgetBytes: Int
    public var perUserBudgetBytes: Int
    /// Retained bytes by category (indexed by `BudgetCategory.rawValue`).
    public var retainedBytes: [Int]
    public var userRefusals: UInt64
    public var globalRefusals: UInt64
}
