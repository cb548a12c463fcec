import Testing
@testable import ExecutionCore

@Suite("Agent catalog and builtins")
struct AgentCatalogTests {
    func catalog(_ json: String, clock: any ExecutionClock = SystemClock()) throws -> AgentCatalog {
        try AgentCatalog(json: JSONValue.parse(json), baseDirectory: "/tmp", clock: clock)
    }

    @Test("runners by name, timeouts from config, descriptors without process details")
    func lookup() throws {
        let catalog = try catalog(#"""
        [{"name": "echo", "kind": "builtin", "description": "echoes"},
         {"name": "nap", "kind": "builtin", "builtin": "sleep", "timeout_seconds": 3},
         {"name": "shell", "kind": "process", "command": ["/bin/sh", "-c", "exit 0"], "description": "a shell"}]
        """#)
        defer { catalog.shutdown() }
        #expect(catalog.runner(named: "echo") != nil)
        #expect(catalog.runner(named: "shell") != nil)
        #expect(catalog.runner(named: "missing") == nil)
        #expect(catalog.runTimeout(forAgent: "nap") == .seconds(3))
        #expect(catalog.runTimeout(forAgent: "echo") == nil)
        #expect(catalog.descriptors == [
            AgentDescriptor(name: "echo", kind: "builtin", description: "echoes", timeoutSeconds: nil),
            AgentDescriptor(name: "nap", kind: "builtin", description: "", timeoutSeconds: 3),
            AgentDescriptor(name: "shell", kind: "process", description: "a shell", timeoutSeconds: nil),
        ])
        #expect(catalog.descriptors[1].json.serializedString()
                == #"{"description":"","kind":"builtin","name":"nap","timeout_seconds":3.0}"#)
        #expect(catalog.processReactor != nil)
    }

    @Test("a process agent whose program or directory is missing stops the catalog at build time")
    func hostChecks() throws {
        #expect(throws: AgentConfigError.self) {
            try catalog(#"[{"name": "p", "kind": "process", "command": ["/nonexistent/agent"]}]"#)
        }
        do {
            _ = try catalog(#"[{"name": "p", "kind": "process", "command": ["/bin/sh"], "working_directory": "/nonexistent"}]"#)
            Issue.record("accepted a missing working directory")
        } catch let error as AgentConfigError {
            #expect(error.field == "working_directory")
            #expect(error.entry == #"agents[0] ("p")"#)
        }
    }

    @Test("echo: thinking, then the input echoed")
    func echo() async throws {
        let catalog = try catalog(#"[{"name": "echo", "kind": "builtin"}]"#)
        let output = RecordingRunOutput()
        let input: JSONValue = .object(["message": .string("hello"), "n": .integer(2)])
        _ = try #require(catalog.runner(named: "echo")).start(makeRequest(agent: "echo", input: input), output: output)
        #expect(await output.waitForOutcome() == .completed(result: .object(["echo": input])))
        #expect(output.progressTypes == [.agentThinking])
    }

    @Test("tools: thinking, two tool calls with real results, thinking, completed")
    func tools() async throws {
        let catalog = try catalog(#"[{"name": "tools", "kind": "builtin"}]"#)
        let output = RecordingRunOutput()
        let query = "how does cancel reach every process in the group"
        _ = try #require(catalog.runner(named: "tools")).start(makeRequest(agent: "tools", input: .object(["query": .string(query)])), output: output)
        guard case .completed(let result)? = await output.waitForOutcome() else { Issue.record("not completed"); return }
        #expect(output.progressTypes == [.agentThinking, .toolExecuting, .toolCompleted, .toolExecuting, .toolCompleted, .agentThinking])
        let data = output.progressData
        #expect(data[1]["tool_name"] == .string("search_notes"))
        #expect(data[1]["parameters"]?["query"] == .string(query))
        #expect(data[2]["tool_name"] == .string("search_notes"))
        #expect(data[2]["duration_ms"]?.doubleValue != nil)
        let firstHit = data[2]["result"]?["hits"]?.arrayValue?.first
        #expect(firstHit?["title"] == .string("Process groups"))
        #expect(data[4]["result"]?["words"] == .integer(9))
        #expect(result["sources"]?.arrayValue?.first == .string("Process groups"))
        #expect(result["query_words"] == .integer(9))
    }

    @Test("sleep: completes after input.seconds; bad input fails")
    func sleep() async throws {
        let catalog = try catalog(#"[{"name": "sleep", "kind": "builtin"}]"#)
        let runner = try #require(catalog.runner(named: "sleep"))
        let output = RecordingRunOutput()
        let started = monotonicNanoseconds()
        _ = try runner.start(makeRequest(agent: "sleep", input: .object(["seconds": .double(0.05)])), output: output)
        #expect(await output.waitForOutcome() == .completed(result: .object(["slept_seconds": .double(0.05)])))
        #expect(monotonicNanoseconds() - started >= 50_000_000)
        let bad = RecordingRunOutput()
        _ = try runner.start(makeRequest(agent: "sleep", input: .object(["seconds": .string("soon")])), output: bad)
        #expect(await bad.waitForOutcome().map { if case .failed("bad_input", _) = $0 { true } else { false } } == true)
    }

    @Test("builtins honour cancel promptly", arguments: ["sleep", "tools", "echo"])
    func cancel(_ name: String) async throws {
        let catalog = try catalog(#"[{"name": "\#(name)", "kind": "builtin"}]"#)
        let output = RecordingRunOutput()
        let started = monotonicNanoseconds()
        let handle = try #require(catalog.runner(named: name))
            .start(makeRequest(agent: name, input: .object(["seconds": .integer(600)])), output: output)
        handle.cancel(gracePeriod: .seconds(120))
        let outcome = await output.waitForOutcome()
        // echo and tools may finish before the cancel lands; sleep cannot (600 s).
        if name == "sleep" { #expect(outcome == .failed(kind: "cancelled", message: "run cancelled")) }
        #expect(outcome != nil)
        // Far below the 120 s grace, yet generous for a sanitized run on a busy 2-core machine.
        #expect(monotonicNanoseconds() - started < 30_000_000_000, "cancel did not wait for the grace period")
    }
}
