#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing
@testable import ExecutionCore

/// Children without a pidfd (kernels before 5.3): their exits are found by the supervisor's
/// 20 ms `waitid` poll, a reactor timer.
@Suite("Process agents: exits found by polling (no pidfd)")
struct ProcessExitPollTests {
    func pollingReactor() throws -> ProcessReactor {
        var logger = Logger(label: "test.agents")
        logger.logLevel = .critical
        var configuration = ProcessReactor.Configuration(exitGraceAfterTerminal: .milliseconds(200), reapOrphans: false,
                                                         logger: logger)
        configuration.watchesExitsWithPidfds = false
        return try ProcessReactor(configuration: configuration)
    }

    @Test("runs that end in every way are finished and reaped")
    func endings() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try pollingReactor()
        defer { reactor.shutdown() }
        let cases: [(body: String, kind: String)] = [
            (#"echo "{\"type\":\"agent_thinking\",\"data\":{\"pid\":$$}}"; echo '{"type":"agent_completed","result":1}'"#, "completed"),
            (#"echo "{\"type\":\"agent_thinking\",\"data\":{\"pid\":$$}}"; exit 4"#, "exit_status"),
            // Closes stdout and lives on: only the poll can see the exit, after the SIGKILL
            // that follows the exit grace.
            (#"echo "{\"type\":\"agent_thinking\",\"data\":{\"pid\":$$}}"; echo '{"type":"agent_completed","result":2}'; exec >&-; sleep 30"#, "completed"),
        ]
        var outputs: [RecordingRunOutput] = []
        for (index, entry) in cases.enumerated() {
            let output = RecordingRunOutput()
            _ = try reactor.start(scripts.spec(scripts.script("a\(index).sh", entry.body)), request: makeRequest(), output: output)
            outputs.append(output)
        }
        for (output, entry) in zip(outputs, cases) {
            let outcome = await output.waitForOutcome(timeout: .seconds(10))
            #expect(outcome != nil)
            #expect(output.outcomeKind == entry.kind)
        }
        let pids = outputs.compactMap { $0.progressData.first?["pid"]?.int64Value.map(Int32.init) }
        #expect(pids.count == cases.count)
        for pid in pids { #expect(ProcInfo.state(of: pid) == nil, "agent \(pid) was reaped") }
        #expect(reactor.activeRuns == 0)
    }

    @Test("cancel and shutdown still kill and reap the group")
    func cancelAndShutdown() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try pollingReactor()
        let agent = scripts.script("stubborn.sh", ProcessLifecycleTests.stubborn)
        let cancelled = RecordingRunOutput(), killed = RecordingRunOutput()
        let handle = try reactor.start(scripts.spec(agent), request: makeRequest(), output: cancelled)
        _ = try reactor.start(scripts.spec(agent), request: makeRequest(), output: killed)
        #expect(await cancelled.waitForProgress(count: 1))
        #expect(await killed.waitForProgress(count: 1))
        handle.cancel(gracePeriod: .milliseconds(50))
        #expect(await cancelled.waitForOutcome(timeout: .seconds(10)) != nil)
        #expect(cancelled.outcomeKind == "cancelled")
        reactor.shutdown()
        #expect(killed.outcomeKind == "shutdown")
        for output in [cancelled, killed] {
            let pid = output.progressData.first?["pid"]?.int64Value.map(Int32.init)
            #expect(pid.map { ProcInfo.state(of: $0) == nil } == true)
        }
        #expect(reactor.activeRuns == 0)
    }
}
