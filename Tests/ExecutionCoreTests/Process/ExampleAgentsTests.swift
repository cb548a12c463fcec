import Testing
@testable import ExecutionCore

/// The example agents shipped in config/agents, run exactly as config/agents/agents.example.json
/// declares them (the snippet the server's config uses).
@Suite("Example agents in config/agents")
struct ExampleAgentsTests {
    func catalog(_ reactor: ProcessReactor) throws -> AgentCatalog {
        let text = try #require(ProcInfo.readFile(packageRoot() + "/config/agents/agents.example.json"))
        return try AgentCatalog(json: JSONValue.parse(text), baseDirectory: packageRoot() + "/config", processReactor: reactor)
    }

    @Test("research answers from its notes with thinking and tool events")
    func research() async throws {
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let catalog = try catalog(reactor)
        #expect(catalog.descriptors.map(\.name) == ["echo", "tools", "sleep", "research", "summarise"])
        let output = RecordingRunOutput()
        let input: JSONValue = .object(["question": .string("How does a cancel reach every child process?")])
        _ = try #require(catalog.runner(named: "research")).start(makeRequest(agent: "research", input: input), output: output)
        guard case .completed(let result)? = await output.waitForOutcome(timeout: .seconds(20)) else {
            Issue.record("\(String(describing: output.outcome))"); return
        }
        #expect(output.progressTypes == [.agentThinking, .toolExecuting, .toolCompleted, .toolExecuting, .toolCompleted, .agentThinking])
        #expect(output.progressData[1]["tool_name"] == .string("search_notes"))
        #expect(result["sources"]?.arrayValue?.first == .string("Process groups"))
        #expect(catalog.runTimeout(forAgent: "research") == .seconds(30))
    }

    @Test("summarise keeps the most central sentences in their order")
    func summarise() async throws {
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let catalog = try catalog(reactor)
        let text = "Isolation matters. Each user gets their own engine. Engines are never shared between users. "
            + "Cats are nice. Every engine is bound to one user for life."
        let output = RecordingRunOutput()
        _ = try #require(catalog.runner(named: "summarise"))
            .start(makeRequest(agent: "summarise", input: .object(["text": .string(text), "sentences": .integer(2)])), output: output)
        guard case .completed(let result)? = await output.waitForOutcome(timeout: .seconds(20)) else {
            Issue.record("\(String(describing: output.outcome))"); return
        }
        #expect(output.progressTypes == [.agentThinking, .toolExecuting, .toolCompleted])
        #expect(result["summary"] == .string("Each user gets their own engine. Every engine is bound to one user for life."))
        #expect(result["sentence_count"] == .integer(5))
    }

    @Test("bad input is reported by the agent as agent_error")
    func badInput() async throws {
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let catalog = try catalog(reactor)
        let output = RecordingRunOutput()
        _ = try #require(catalog.runner(named: "research")).start(makeRequest(agent: "research", input: .object([:])), output: output)
        #expect(await output.waitForOutcome(timeout: .seconds(20)) == .failed(kind: "agent_error", message: "input.question (a non-empty string) is required"))
    }
}
