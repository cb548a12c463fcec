/// `contexts`: the per-user registry of execution contexts and their validation data.
public struct ContextSettings: Sendable, Equatable {
    public var maxPerUser = 100
    public var maxTotal = 100_000
    public var ttlSeconds: Double = 3600
    /// The deepest child context allowed (root is 0).
    public var maxDepth = 10
    /// The largest serialized `agent_context` / `audit_metadata`.
    public var maxJSONBytes = 65_536
    /// Id values refused as placeholders (whole value, case-insensitive, optionally + `_`/`-` digits).
    public var placeholderValues = ["registry", "placeholder", "default", "temp", "none", "null", "undefined",
                                    "0", "1", "xxx", "yyy", "example", "test", "demo", "sample", "template",
                                    "mock", "fake", "dummy"]
    /// Keys refused inside `agent_context` and `audit_metadata`.
    public var reservedKeys = ["user_id", "thread_id", "run_id", "request_id", "created_at",
                               "websocket_client_id", "operation_depth", "parent_request_id"]
    public init() {}
}

/// `factory`: engine creation limits, timeouts, sweep and circuit breaker.
public struct FactorySettings: Sendable, Equatable {
    public var maxEnginesPerUser = 2
    public var maxEnginesTotal = 1000
    /// Per-user limits replacing `maxEnginesPerUser` for the users named (0 forbids engines).
    public var perUserOverrides: [String: Int] = [:]
    public var idleTimeoutSeconds: Double = 300
    public var maxLifetimeSeconds: Double = 3600
    public var cleanupIntervalSeconds: Double = 60
    /// How long runs of an expired engine may still take before they are cancelled.
    public var runGraceSeconds: Double = 30
    public var shutdownDeadlineSeconds: Double = 10
    public var breaker = Breaker()
    public init() {}

    /// `factory.breaker`: opens after consecutive engine build failures.
    public struct Breaker: Sendable, Equatable {
        public var failureThreshold = 5
        public var cooldownSeconds: Double = 30
        public init() {}
    }

    /// The engine limit for `userID`.
    public func engineLimit(for userID: String) -> Int { perUserOverrides[userID] ?? maxEnginesPerUser }
}

/// `engines`: per-engine run concurrency, queue, history and timeouts.
public struct EngineSettings: Sendable, Equatable {
    public var maxConcurrentRuns = 3
    public var maxQueuedRuns = 10
    public var historySize = 100
    /// Default per-run timeout (an agent may set its own).
    public var runTimeoutSeconds: Double = 30
    /// SIGTERM to SIGKILL on cancel.
    public var cancelGraceSeconds: Double = 2
    /// Process agents one user may have running at once, across all their engines (a process
    /// counts until it is reaped). Past it a run fails at once with kind "process_limit".
    public var maxAgentProcessesPerUser = 8
    /// Bytes of a run's input as JSON; past it 413 (`input-too-large`).
    public var maxRunInputBytes = 262_144
    /// Bytes of an agent's result (past it the run fails, kind "result_limit") and of each of
    /// its events' data (past it the data is replaced by a note).
    public var maxAgentDataBytes = 262_144
    public init() {}
}
