/// One agent run as handed to an agent implementation.
public struct AgentRunRequest: Sendable {
    /// The run's id (the API's `/v1/runs/{id}`, events' `execution_id`).
    public var executionID: String
    public var agent: String
    /// The user's execution context as JSON (what a process agent receives as `context`).
    public var context: JSONValue
    public var input: JSONValue
    /// The run's owner, for per-user accounting (process agents: the per-user process cap).
    /// Empty: no such accounting (benchmarks and tests of an agent alone).
    public var userID: String
    public init(executionID: String, agent: String, context: JSONValue, input: JSONValue, userID: String = "") {
        self.executionID = executionID
        self.agent = agent
        self.context = context
        self.input = input
        self.userID = userID
    }
}

/// How an agent run ended, as the agent reports it. The engine turns it into exactly one
/// terminal event (and owns `run_cancelled` / `run_timed_out`, which agents never report).
public enum AgentOutcome: Sendable, Equatable {
    case completed(result: JSONValue)
    /// `kind` is a short machine word: "exit_status", "crashed", "bad_output", "output_limit",
    /// "no_terminal_event", "spawn_failed", "agent_error" ...; `message` is for people.
    case failed(kind: String, message: String)
}

/// The engine's receiving side for one run. Thread-safe. Calls after `finish` are ignored.
public protocol AgentRunOutput: Sendable {
    /// A progress event (`agent_thinking`, `tool_executing`, `tool_completed`); other types are
    /// refused by the engine (the run fails with kind "bad_output").
    func progress(_ type: EventType, data: JSONValue)
    /// The run's end, reported once.
    func finish(_ outcome: AgentOutcome)
}

/// A started run that can be stopped: for a process agent, SIGTERM to its process group, then
/// SIGKILL after `gracePeriod`. Idempotent; the agent still calls `finish` (the engine ignores
/// whatever comes after it has ended the run itself).
public protocol AgentRunHandle: Sendable {
    func cancel(gracePeriod: Duration)
}

/// An agent kind (builtin or process). `start` must return quickly: the work happens elsewhere
/// (a task for builtins, a child process read by the process reactor).
public protocol AgentRunner: Sendable {
    func start(_ request: AgentRunRequest, output: any AgentRunOutput) throws(AgentStartError) -> any AgentRunHandle
}

/// Why an agent could not be started at all: the engine fails the run with `kind`
/// ("spawn_failed", or "process_limit" when the user already has as many agent processes as
/// allowed).
public struct AgentStartError: Error, Sendable, Equatable {
    public var message: String
    public var kind: String
    public init(_ message: String, kind: String = "spawn_failed") {
        self.message = message
        self.kind = kind
    }
}

/// What an engine needs from the agent configuration: a runner by name and that agent's run
/// timeout. `AgentCatalog` (built from config) is the production implementation.
public protocol AgentProvider: Sendable {
    func runner(named name: String) -> (any AgentRunner)?
    /// The agent's own run timeout from config; nil: the engine's default.
    func runTimeout(forAgent name: String) -> Duration?
}
