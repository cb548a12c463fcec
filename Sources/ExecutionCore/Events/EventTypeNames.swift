extension EventType {
    /// The wire name as a static string, so encoders copy bytes without touching a String.
    var staticName: StaticString {
        switch self {
        case .agentStarted: "agent_started"
        case .agentThinking: "agent_thinking"
        case .toolExecuting: "tool_executing"
        case .toolCompleted: "tool_completed"
        case .agentCompleted: "agent_completed"
        case .agentError: "agent_error"
        case .runQueued: "run_queued"
        case .runCancelled: "run_cancelled"
        case .runTimedOut: "run_timed_out"
        }
    }
}
