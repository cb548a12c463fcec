import ExecutionAPI

/// Reading the `budgets` section: both positive, the per-user budget no larger than the global.
extension BudgetSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        globalBytes = try o.int("global_bytes", default: globalBytes, min: 1)
        perUserBytes = try o.int("per_user_bytes", default: perUserBytes, min: 1)
        guard perUserBytes <= globalBytes else {
            throw ConfigurationError(keyPath: "budgets.per_user_bytes",
                                     message: "budgets.per_user_bytes (\(perUserBytes)) must not exceed budgets.global_bytes (\(globalBytes))")
        }
    }
}
