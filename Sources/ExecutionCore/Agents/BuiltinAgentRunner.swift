/// Runs a builtin agent in its own task. Cancel cancels the task; every builtin checks for
/// cancellation between steps and while waiting, so it ends promptly with kind "cancelled".
struct BuiltinAgentRunner: AgentRunner {
    let agent: BuiltinAgent
    let clock: any ExecutionClock

    func start(_ request: AgentRunRequest, output: any AgentRunOutput) throws(AgentStartError) -> any AgentRunHandle {
        let agent = agent
        let clock = clock
        let task = Task {
            let outcome: AgentOutcome
            do {
                switch agent {
                case .echo: outcome = try await BuiltinAgents.echo(request, output: output)
                case .tools: outcome = try await BuiltinAgents.tools(request, output: output, clock: clock)
                case .sleep: outcome = try await BuiltinAgents.sleep(request, output: output, clock: clock)
                }
            } catch {
                outcome = .failed(kind: "cancelled", message: "run cancelled")
            }
            output.finish(outcome)
        }
        return TaskRunHandle(task: task)
    }
}

/// Stops a builtin run: cancels its task (the grace period does not apply in-process).
struct TaskRunHandle: AgentRunHandle {
    let task: Task<Void, Never>
    func cancel(gracePeriod: Duration) { task.cancel() }
}
