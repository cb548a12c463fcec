/// The two budgets of retained bytes: per user and global. The global one is lowered to
/// `cgroupShare` of the container's memory limit when that is lower, so a small pod refuses work
/// (429/503) before the kernel kills it.
public struct BudgetLimits: Sendable, Equatable {
    public static let defaultPerUserBytes = 32 << 20
    public static let defaultGlobalBytes = 1 << 30
    /// The fraction of the cgroup memory limit the global budget may take: the rest is for the
    /// process itself (code, stacks, connection buffers, allocator slack) and transient copies.
    public static let cgroupShare = 0.5

    public var perUserBytes: Int
    public var globalBytes: Int

    public init(perUserBytes: Int = defaultPerUserBytes, globalBytes: Int = defaultGlobalBytes) {
        self.globalBytes = max(1, globalBytes)
        self.perUserBytes = min(max(1, perUserBytes), self.globalBytes)
    }

    /// These limits with the global budget lowered to `cgroupShare` of `memoryLimit` (bytes)
    /// when that is lower; nil (no limit) leaves them as they are. The per-user budget never
    /// exceeds the global one.
    public func fitted(toMemoryLimit memoryLimit: Int?) -> BudgetLimits {
        guard let memoryLimit, memoryLimit > 0 else { return self }
        let share = Int(Double(memoryLimit) * Self.cgroupShare)
        return BudgetLimits(perUserBytes: perUserBytes, globalBytes: min(globalBytes, max(1, share)))
    }
}
