import ExecutionAPI
import ExecutionCore
@testable import IsolationdConfiguration
import Testing

@Suite("Configuration: budgets")
struct BudgetsSectionTests {
    @Test("defaults are 32 MiB per user and 1 GiB in total, as in the shipped file")
    func defaults() throws {
        let config = try ServiceConfiguration.parse("{}")
        #expect(config.service.budgets.perUserBytes == 32 << 20)
        #expect(config.service.budgets.globalBytes == 1 << 30)
        let shipped = try ServiceConfiguration.load(path: "\(packageRoot)/config/isolationd.json", environment: [:])
        #expect(shipped.service.budgets == config.service.budgets)
    }

    @Test("values and environment overrides are read")
    func values() throws {
        let config = try ServiceConfiguration.parse(#"{"budgets": {"per_user_bytes": 1000, "global_bytes": 5000}}"#,
                                                    environment: ["ISOLATIOND_BUDGETS__PER_USER_BYTES": "2000"])
        #expect(config.service.budgets.perUserBytes == 2000)
        #expect(config.service.budgets.globalBytes == 5000)
        #expect(config.service.budgets.limits == BudgetLimits(perUserBytes: 2000, globalBytes: 5000))
    }

    @Test("zero, negative, a per-user budget above the global one and unknown keys are refused, naming the key")
    func validation() {
        #expect(configurationError(#"{"budgets": {"per_user_bytes": 0}}"#)?.keyPath == "budgets.per_user_bytes")
        #expect(configurationError(#"{"budgets": {"global_bytes": -1}}"#)?.keyPath == "budgets.global_bytes")
        #expect(configurationError(#"{"budgets": {"per_user_bytes": 10, "global_bytes": 5}}"#)?.keyPath == "budgets.per_user_bytes")
        #expect(configurationError(#"{"budgets": {"per_user": 10}}"#) != nil)
    }

    @Test("the bench configuration's budgets are large enough for millions of contexts per user")
    func benchConfiguration() throws {
        let bench = try ServiceConfiguration.load(path: "\(packageRoot)/config/bench.json", environment: [:])
        let contextBytes = 1024 // well above what a benchmark context is charged
        #expect(bench.service.budgets.perUserBytes >= bench.service.contexts.maxPerUser * contextBytes)
    }
}
