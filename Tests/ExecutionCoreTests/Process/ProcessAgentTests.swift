#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ExecutionCore

/// Real child processes through the real reactor: the JSON-lines protocol and the happy path.
@Suite("Process agents: protocol")
struct ProcessAgentProtocolTests {
    @Test("events reach the output in order and the result ends the run; stdin holds context and input")
    func completesInOrder() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let agent = scripts.script("ok.sh", #"""
        read -r doc
        echo '{"type":"agent_thinking","data":{"reasoning":"reading","step":1}}'
        echo '{"type":"tool_executing","data":{"tool_name":"grep","parameters":{"pattern":"x"}}}'
        echo '{"type":"tool_completed","data":{"tool_name":"grep","result":3,"duration_ms":1}}'
        printf '{"type":"agent_completed","result":%s}\n' "$doc"
        """#)
        let output = RecordingRunOutput()
        let input: JSONValue = .object(["question": .string("why \"quoted\"?"), "n": .integer(7)])
        _ = try reactor.start(scripts.spec(agent), request: makeRequest(input: input), output: output)
        let outcome = try #require(await output.waitForOutcome())
        #expect(output.progressTypes == [.agentThinking, .toolExecuting, .toolCompleted])
        #expect(output.progressData.first?["step"] == .integer(1))
        guard case .completed(let result) = outcome else { Issue.record("not completed: \(outcome)"); return }
        #expect(result["input"] == input)
        #expect(result["context"]?["user_id"] == .string("alice"))
        #expect(output.state.withLock { $0.finishCalls } == 1)
    }

    @Test("a stdin document larger than the pipe buffer arrives whole")
    func largeInput() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let agent = scripts.script("count.sh", #"""
        n=$(wc -c)
        printf '{"type":"agent_completed","result":%s}\n' "$n"
        """#)
        let input: JSONValue = .object(["text": .string(String(repeating: "abcdefgh", count: 40_000))])
        let expectedBytes = JSONValue.object(["context": makeRequest().context, "input": input]).serialized().count + 1
        let output = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(agent), request: makeRequest(input: input), output: output)
        let outcome = await output.waitForOutcome()
        #expect(outcome == .completed(result: .integer(Int64(expectedBytes))))
    }

    @Test("an agent that never reads stdin still completes (EPIPE is not a failure)")
    func ignoresInput() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let agent = scripts.script("deaf.sh", #"""
        exec 0<&-
        echo '{"type":"agent_completed","result":"done"}'
        """#)
        let output = RecordingRunOutput()
        let input: JSONValue = .object(["blob": .string(String(repeating: "z", count: 300_000))])
        _ = try reactor.start(scripts.spec(agent), request: makeRequest(input: input), output: output)
        #expect(await output.waitForOutcome() == .completed(result: .string("done")))
    }

    @Test("a final line without a newline still counts; lines after the final event are ignored")
    func lineEdges() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let unterminated = scripts.script("unterminated.sh", #"printf '{"type":"agent_completed","result":1}'"#)
        let trailing = scripts.script("trailing.sh", #"""
        echo '{"type":"agent_completed","result":2}'
        echo '{"type":"agent_thinking","data":{}}'
        echo 'not even json'
        """#)
        let first = RecordingRunOutput()
        let second = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(unterminated), request: makeRequest(), output: first)
        _ = try reactor.start(scripts.spec(trailing), request: makeRequest(), output: second)
        #expect(await first.waitForOutcome() == .completed(result: .integer(1)))
        #expect(await second.waitForOutcome() == .completed(result: .integer(2)))
        #expect(second.progressTypes.isEmpty)
    }

    @Test("events stream while the agent runs: the agent waits for the test to see its first event")
    func streaming() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let flag = scripts.path + "/seen"
        // The agent waits up to a minute (6,000 naps): patience for a loaded CI machine.
        let agent = scripts.script("slow.sh", """
        echo '{"type":"agent_thinking","data":{"step":1}}'
        i=0
        while [ ! -e '\(flag)' ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i+1)); done
        if [ -e '\(flag)' ]; then echo '{"type":"agent_completed","result":"saw the flag"}'; else exit 9; fi
        """)
        let output = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(agent), request: makeRequest(), output: output)
        // Only a streamed first event lets the test create the flag the agent is waiting for.
        #expect(await output.waitForProgress(count: 1))
        #expect(output.outcome == nil)
        if let handle = fopen(flag, "we") { fclose(handle) }
        defer { unlink(flag) }
        #expect(await output.waitForOutcome() == .completed(result: .string("saw the flag")))
    }

    @Test("stderr is kept bounded: a flood of it costs only its tail")
    func stderrBounded() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let agent = scripts.script("noisy.sh", #"""
        yes eeeeeeeeeeeeeeeeeeeeeeeeeeeeeee | head -c 2000000 >&2
        echo 'last words' >&2
        exit 2
        """#)
        let output = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(agent), request: makeRequest(), output: output)
        guard case .failed(let kind, let message)? = await output.waitForOutcome() else { Issue.record("no failure"); return }
        #expect(kind == "exit_status")
        #expect(message.hasSuffix("last words"))
        #expect(message.utf8.count < 400)
    }

    @Test("an agent that lingers after its final event is killed after the exit grace; its result stands")
    func lingeringAfterResult() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor(exitGrace: .milliseconds(100))
        defer { reactor.shutdown() }
        let agent = scripts.script("linger.sh", #"""
        trap '' TERM
        echo "{\"type\":\"agent_completed\",\"result\":$$}"
        while :; do sleep 1; done
        """#)
        let output = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(agent), request: makeRequest(), output: output)
        let outcome = try #require(await output.waitForOutcome())
        guard case .completed(let result) = outcome, let pid = result.int64Value else {
            Issue.record("expected the agent's result, got \(outcome)"); return
        }
        #expect(ProcInfo.isGone(Int32(pid)))
    }
}

/// Every way a process agent can go wrong ends its run with a clear kind.
@Suite("Process agents: faults")
struct ProcessAgentFaultTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var body: String
        var kind: String
        var messageContains: String
        var stdoutLimit = 1_048_576
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "non-zero exit", body: "echo 'boom happened' >&2\nexit 3", kind: "exit_status", messageContains: "status 3; stderr: boom happened"),
        Case(name: "killed by a signal", body: "echo '{\"type\":\"agent_thinking\",\"data\":{}}'\nkill -SEGV $$", kind: "crashed", messageContains: "SIGSEGV"),
        Case(name: "unparseable line", body: "echo '{\"type\":\"agent_thinking\",\"data\":{}}'\necho 'hello world'", kind: "bad_output", messageContains: "line 2"),
        Case(name: "engine-only event type", body: "echo '{\"type\":\"run_cancelled\"}'", kind: "bad_output", messageContains: "emitted by the engine"),
        Case(name: "data not an object", body: "echo '{\"type\":\"agent_thinking\",\"data\":[1]}'", kind: "bad_output", messageContains: "must be an object"),
        Case(name: "no final event", body: "echo '{\"type\":\"agent_thinking\",\"data\":{}}'\nexit 0", kind: "no_terminal_event", messageContains: "without an agent_completed"),
        Case(name: "stdout over its limit", body: "while :; do echo '{\"type\":\"agent_thinking\",\"data\":{\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}'; done",
             kind: "output_limit", messageContains: "65536 bytes", stdoutLimit: 65536),
        Case(name: "agent reports an error", body: "echo '{\"type\":\"agent_error\",\"message\":\"no data for that\"}'\nexit 1", kind: "agent_error", messageContains: "no data for that"),
    ]

    @Test("fault ends the run with its kind", arguments: cases)
    func fault(_ fault: Case) async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let agent = scripts.script("fault.sh", fault.body)
        let output = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(agent, stdoutLimit: fault.stdoutLimit), request: makeRequest(), output: output)
        let outcome = try #require(await output.waitForOutcome())
        guard case .failed(let kind, let message) = outcome else { Issue.record("expected failure, got \(outcome)"); return }
        #expect(kind == fault.kind)
        #expect(message.contains(fault.messageContains), "message: \(message)")
        #expect(reactor.activeRuns == 0)
    }

    @Test("a spawn that fails on the reactor thread (the interpreter is missing) ends the run spawn_failed; nothing is left")
    func spawnFailsOnTheReactorThread() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        // Executable, so the checks at start pass; the exec fails (ENOENT) in the child, in
        // setpriv, the parent-death wrapper that runs first.
        let agent = scripts.script("orphaned.sh", "echo never", interpreter: "/nonexistent/interpreter")
        let output = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(agent), request: makeRequest(), output: output)
        let outcome = try #require(await output.waitForOutcome())
        guard case .failed(let kind, let message) = outcome else { Issue.record("expected failure, got \(outcome)"); return }
        #expect(kind == "spawn_failed")
        #expect(message.contains("cannot execute") && message.contains("orphaned.sh"), "message: \(message)")
        #expect(output.progressTypes.isEmpty)
        #expect(reactor.activeRuns == 0)
    }

    @Test("spawn failures are refused at start with a message")
    func spawnFailures() throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let notExecutable = scripts.path + "/plain.txt"
        if let handle = fopen(notExecutable, "we") { fclose(handle) }
        defer { unlink(notExecutable) }
        let good = scripts.script("good.sh", "exit 0")
        let specs = [
            scripts.spec(scripts.path + "/missing.sh"),
            scripts.spec(notExecutable),
            scripts.spec(good, workingDirectory: scripts.path + "/no-such-dir"),
        ]
        for spec in specs {
            #expect(throws: AgentStartError.self) {
                _ = try reactor.start(spec, request: makeRequest(), output: RecordingRunOutput())
            }
        }
        #expect(reactor.activeRuns == 0)
    }
}
