import Testing
@testable import ExecutionCore

@Suite("Process agents: many at once")
struct ProcessConcurrencyTests {
    @Test("40 concurrent runs on one reactor each get exactly their own events and result")
    func manyRuns() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        // Echoes the input's n in every event and in the result, so cross-talk would show.
        let agent = scripts.script("count.py", #"""
        import json, sys
        n = json.loads(sys.stdin.readline())["input"]["n"]
        for step in range(20):
            print(json.dumps({"type": "agent_thinking", "data": {"n": n, "step": step}}), flush=True)
        print(json.dumps({"type": "agent_completed", "result": {"n": n}}))
        """#, interpreter: "/usr/bin/python3")
        let runs = 40
        let spec = scripts.spec(agent)
        let outputs = try await withThrowingTaskGroup(of: (Int, RecordingRunOutput).self) { group in
            for n in 0..<runs {
                group.addTask {
                    let output = RecordingRunOutput()
                    _ = try reactor.start(spec, request: makeRequest(input: .object(["n": .integer(Int64(n))])),
                                          output: output)
                    _ = await output.waitForOutcome(timeout: .seconds(30))
                    return (n, output)
                }
            }
            var collected: [(Int, RecordingRunOutput)] = []
            for try await item in group { collected.append(item) }
            return collected
        }
        #expect(outputs.count == runs)
        for (n, output) in outputs {
            #expect(output.outcome == .completed(result: .object(["n": .integer(Int64(n))])))
            let data = output.progressData
            #expect(data.count == 20)
            #expect(data.allSatisfy { $0["n"] == .integer(Int64(n)) })
            #expect(data.map { $0["step"]?.int64Value ?? -1 } == Array(0..<20))
        }
        #expect(reactor.activeRuns == 0)
    }
}
