import ExecutionCore

/// `budgets`: the bytes of retained data one user may make the service keep, and all users
/// together (see `RetainedBytesLedger`). The global budget is lowered at start to half the
/// container's memory limit when that is lower (`BudgetLimits.fitted(toMemoryLimit:)`).
public struct BudgetSettings: Sendable, Equatable {
    public var perUserBytes = BudgetLimits.defaultPerUserBytes
    public var globalBytes = BudgetLimits.defaultGlobalBytes
    public init() {}

    /// The limits as configured, before the memory limit is applied.
    public var limits: BudgetLimits { BudgetLimits(perUserBytes: perUserBytes, globalBytes: globalBytes) }
}
