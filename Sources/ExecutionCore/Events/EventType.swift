/// Every kind of event an engine emits (SPEC.md §4).
public enum EventType: String, Sendable, CaseIterable, Hashable {
    case agentStarted = "agent_started"
    case agentThinking = "agent_thinking"
    case toolExecuting = "tool_executing"
    case toolCompleted = "tool_completed"
    case agentCompleted = "agent_completed"
    case agentError = "agent_error"
    case runQueued = "run_queued"
    case runCancelled = "run_cancelled"
    case runTimedOut = "run_timed_out"

    /// The types an agent itself may emit mid-run; the engine emits the rest.
    public var isAgentProgress: Bool {
        switch self {
        case .agentThinking, .toolExecuting, .toolCompleted: true
        default: false
        }
    }

    /// Exactly one of these ends every run.
    public var isTerminal: Bool {
        switch self {
        case .agentCompleted, .agentError, .runCancelled, .runTimedOut: true
        default: false
        }
    }
}
