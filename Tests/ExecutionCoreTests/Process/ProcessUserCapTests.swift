import Testing
@testable import ExecutionCore

/// One user cannot have more agent processes at once than `maxProcessesPerUser`, whatever
/// their engines do (issue 12, item 6); a process counts until it is reaped.
@Suite("Process agents: the per-user process cap")
struct ProcessUserCapTests {
    @Test("past the cap a start fails with kind process_limit; other users are unaffected; a reaped process frees its place")
    func capPerUser() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor(maxProcessesPerUser: 2)
        defer { reactor.shutdown() }
        let sleeper = scripts.spec(scripts.script("sleep.sh", "exec sleep 30"))

        let first = RecordingRunOutput(), second = RecordingRunOutput()
        let firstHandle = try reactor.start(sleeper, request: makeRequest(userID: "alice"), output: first)
        _ = try reactor.start(sleeper, request: makeRequest(userID: "alice"), output: second)
        #expect(reactor.processes(ofUser: "alice") == 2)
        #expect(throws: AgentStartError.self) {
            try reactor.start(sleeper, request: makeRequest(userID: "alice"), output: RecordingRunOutput())
        }
        do {
            _ = try reactor.start(sleeper, request: makeRequest(userID: "alice"), output: RecordingRunOutput())
        } catch {
            #expect(error.kind == "process_limit")
            #expect(error.message.contains("engines.max_agent_processes_per_user"))
        }
        // Another user has places of their own.
        _ = try reactor.start(sleeper, request: makeRequest(userID: "bob"), output: RecordingRunOutput())
        #expect(reactor.processes(ofUser: "bob") == 1)

        // A cancelled process keeps its place until it is reaped, then frees it.
        firstHandle.cancel(gracePeriod: .zero)
        #expect(await first.waitForOutcome() != nil)
        #expect(reactor.processes(ofUser: "alice") == 1)
        let third = RecordingRunOutput()
        _ = try reactor.start(sleeper, request: makeRequest(userID: "alice"), output: third)
        #expect(reactor.processes(ofUser: "alice") == 2)
    }
}
