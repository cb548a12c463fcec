import ExecutionCore

extension ProblemMapping {
    /// How long a client refused for its budget should wait: contexts expire and idle engines
    /// (with their run history) are swept on the order of minutes, unless it deletes something.
    static let userBudgetRetryAfterSeconds: Double = 30
    /// The global budget frees as every user's things expire: a short wait, or another replica.
    static let globalBudgetRetryAfterSeconds: Double = 5

    /// 429 `budget-exceeded` (the user's budget; naming what to delete or wait for, with
    /// `budget_bytes` and `used_bytes`) or 503 `global-budget-exceeded` (the service's), both
    /// with `Retry-After`.
    public static func problem(for refusal: BudgetRefusal) -> ProblemDetails {
        let (type, detail, budget, used, retryAfter): (ProblemType, String, Int, Int, Double)
        switch refusal {
        case .user(let budgetBytes, let usedBytes):
            (type, budget, used, retryAfter) = (.budgetExceeded, budgetBytes, usedBytes, userBudgetRetryAfterSeconds)
            detail = "you keep \(used) of your \(budget) bytes of retained data (contexts, runs and their results, events, idempotency records); delete contexts or engines, or wait for contexts to expire and runs' history to go with idle engines (GET /v1/usage shows what you keep)"
        case .global(let budgetBytes, let usedBytes):
            (type, budget, used, retryAfter) = (.globalBudgetExceeded, budgetBytes, usedBytes, globalBudgetRetryAfterSeconds)
            detail = "the service keeps its maximum of retained data for all users; retry later"
        }
        return ProblemDetails(type, detail: detail,
                              extensions: ["budget_bytes": .integer(Int64(budget)), "used_bytes": .integer(Int64(used))])
            .retrying(after: retryAfter)
    }
}
