/// The `AgentRunner` of a process agent: each run is a child process watched by the reactor.
public struct ProcessAgentRunner: AgentRunner {
    public let spec: ProcessAgentSpec
    public let reactor: ProcessReactor

    public init(spec: ProcessAgentSpec, reactor: ProcessReactor) {
        self.spec = spec
        self.reactor = reactor
    }

    public func start(_ request: AgentRunRequest, output: any AgentRunOutput) throws(AgentStartError) -> any AgentRunHandle {
        try reactor.start(spec, request: request, output: output)
    }
}

extension ProcessAgentSpec {
    /// What is wrong with this spec on this host (missing program, directory or prlimit), as
    /// (field, message); nil when it can run. Checked when the catalog is built, so a broken
    /// agent stops the server at start instead of failing every run.
    public func hostProblem(prlimitPath: String) -> (field: String, message: String)? {
        if !SystemCalls.isExecutableFile(command[0]) {
            return ("command", "\"\(command[0])\" is not an executable file")
        }
        if !SystemCalls.isDirectory(workingDirectory) {
            return ("working_directory", "\"\(workingDirectory)\" is not a directory")
        }
        if !limits.isEmpty && !SystemCalls.isExecutableFile(prlimitPath) {
            return ("limits", "resource limits need \(prlimitPath) (util-linux), which is missing")
        }
        return nil
    }
}
