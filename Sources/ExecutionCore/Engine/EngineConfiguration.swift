/// Per-engine limits and timeouts (the `engines` section of the config). Defaults are SPEC.md §3's.
public struct EngineConfiguration: Sendable, Equatable {
    /// Runs executing at once per engine.
    public var maxConcurrentRuns: Int
    /// Runs waiting for a slot per engine; beyond it `enqueue` is refused.
    public var maxQueuedRuns: Int
    /// Ended runs kept readable per engine.
    public var historySize: Int
    /// A run's time limit when its agent has none of its own in config.
    public var runTimeout: Duration
    /// Handed to `AgentRunHandle.cancel(gracePeriod:)`: SIGTERM, then SIGKILL after it.
    public var cancelGrace: Duration
    /// After an owner's cancel, how long the engine waits for the agent to confirm before it
    /// records the run cancelled anyway (a cancel always converges).
    public var cancelSettleTimeout: Duration
    /// Bytes of a run's input (as JSON): a larger one is refused (`RunRequestError.inputTooLarge`).
    public var maxRunInputBytes: Int
    /// Bytes of an agent's result and of each progress event's data (as JSON): a larger result
    /// fails the run (kind "result_limit", nothing kept); a larger event's data is replaced by a
    /// note saying so. Bounds what one run can make the service keep and send.
    public var maxAgentDataBytes: Int

    public init(maxConcurrentRuns: Int = 3, maxQueuedRuns: Int = 10, historySize: Int = 100,
                runTimeout: Duration = .seconds(30), cancelGrace: Duration = .seconds(2),
                cancelSettleTimeout: Duration = .seconds(5), maxRunInputBytes: Int = 262_144,
                maxAgentDataBytes: Int = 262_144) {
        self.maxRunInputBytes = max(2, maxRunInputBytes)
        self.maxAgentDataBytes = max(2, maxAgentDataBytes)
        self.maxConcurrentRuns = max(1, maxConcurrentRuns)
        self.maxQueuedRuns = max(0, maxQueuedRuns)
        self.historySize = max(1, historySize)
        self.runTimeout = runTimeout.clampedForDeadlines
        self.cancelGrace = cancelGrace.clampedForDeadlines
        self.cancelSettleTimeout = cancelSettleTimeout.clampedForDeadlines
    }
}

extension Duration {
    /// Between zero and 100 years: `Timestamp + duration` can then never overflow (timestamps
    /// are Int64 nanoseconds), whatever a configuration says.
    var clampedForDeadlines: Duration {
        min(max(self, .zero), .seconds(100 * 365 * 86_400))
    }
}
