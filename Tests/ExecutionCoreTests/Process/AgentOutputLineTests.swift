import Testing
@testable import ExecutionCore

@Suite("Agent output lines")
struct AgentOutputLineTests {
    func parse(_ text: String) -> Result<AgentOutputLine, AgentOutputLine.LineError> {
        AgentOutputLine.parse(Array(text.utf8)[...])
    }

    @Test("valid lines")
    func valid() throws {
        #expect(try parse(#"{"type":"agent_thinking","data":{"step":1}}"#).get() == .progress(.agentThinking, data: .object(["step": .integer(1)])))
        #expect(try parse(#"{"type":"tool_executing"}"#).get() == .progress(.toolExecuting, data: .object([:])))
        #expect(try parse(#"{"type":"agent_completed","result":[1,2]}"#).get() == .completed(result: .array([.integer(1), .integer(2)])))
        #expect(try parse(#"{"type":"agent_completed"}"#).get() == .completed(result: .null))
        #expect(try parse(#"{"type":"agent_error","message":"m"}"#).get() == .error(message: "m"))
        #expect(try parse("  \r").get() == .blank)
        #expect(try parse("{\"type\":\"agent_completed\",\"result\":1}\r").get() == .completed(result: .integer(1)))
    }

    @Test("identity fields in a line are ignored, never used", arguments: [
        #"{"type":"agent_thinking","user_id":"mallory","thread_id":"x","data":{"a":1}}"#,
    ])
    func identityIgnored(_ line: String) throws {
        #expect(try parse(line).get() == .progress(.agentThinking, data: .object(["a": .integer(1)])))
    }

    @Test("invalid lines", arguments: [
        "hello", "[1]", #"{"data":{}}"#, #"{"type":3}"#, #"{"type":"nope"}"#, #"{"type":"agent_started"}"#,
        #"{"type":"run_timed_out"}"#, #"{"type":"agent_thinking","data":"x"}"#, #"{"type":"agent_thinking""#,
    ])
    func invalid(_ line: String) {
        guard case .failure = parse(line) else { Issue.record("accepted: \(line)"); return }
    }
}
