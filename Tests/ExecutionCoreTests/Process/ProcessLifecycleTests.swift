#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ExecutionCore
import IsolationdTesting

/// Cancel, shutdown and reaping, checked against /proc.
@Suite("Process agents: cancel, shutdown, reaping")
struct ProcessLifecycleTests {
    /// Emits its pid (and its background child's), ignores SIGTERM, and never ends on its own.
    static let stubborn = #"""
    trap '' TERM
    sleep 300 &
    echo "{\"type\":\"agent_thinking\",\"data\":{\"pid\":$$,\"child\":$!}}"
    while :; do sleep 1; done
    """#

    @Test("cancel: SIGTERM, then SIGKILL after the grace; the agent and its child are both gone")
    func cancelKillsGroup() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        // reapOrphans: the killed grandchild is re-parented to us (subreaper) and reaped by group.
        let reactor = try quietReactor(reapOrphans: true)
        defer { reactor.shutdown() }
        setChildSubreaper()
        let agent = scripts.script("stubborn.sh", Self.stubborn)
        let output = RecordingRunOutput()
        let handle = try reactor.start(scripts.spec(agent), request: makeRequest(), output: output)
        #expect(await output.waitForProgress(count: 1))
        let data = try #require(output.progressData.first)
        let pid = try #require(data["pid"]?.int64Value.map(Int32.init))
        let child = try #require(data["child"]?.int64Value.map(Int32.init))
        #expect(!ProcInfo.isGone(pid) && !ProcInfo.isGone(child))
        #expect(ProcInfo.statFields(child)?.pgid == pid, "the child shares the agent's process group")

        let cancelledAt = monotonicNanoseconds()
        handle.cancel(gracePeriod: .milliseconds(200))
        handle.cancel(gracePeriod: .milliseconds(200)) // idempotent
        guard case .failed(let kind, _)? = await output.waitForOutcome() else { Issue.record("no outcome"); return }
        #expect(kind == "cancelled")
        // SIGTERM was ignored, so only the SIGKILL after the grace can have ended it.
        #expect(monotonicNanoseconds() - cancelledAt >= 150_000_000)
        #expect(ProcInfo.state(of: pid) == nil, "the agent was reaped")
        #expect(await eventually { ProcInfo.state(of: child) == nil }, "the grandchild was killed and reaped")
    }

    @Test("cancel after the run ended changes nothing")
    func cancelAfterEnd() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let agent = scripts.script("quick.sh", #"echo '{"type":"agent_completed","result":true}'"#)
        let output = RecordingRunOutput()
        let handle = try reactor.start(scripts.spec(agent), request: makeRequest(), output: output)
        #expect(await output.waitForOutcome() == .completed(result: .bool(true)))
        handle.cancel(gracePeriod: .zero)
        try await Task.sleep(for: .milliseconds(20))
        #expect(output.outcome == .completed(result: .bool(true)))
        #expect(output.state.withLock { $0.finishCalls } == 1)
    }

    @Test("shutdown kills every group, ends each run with kind shutdown, refuses new runs")
    func shutdownKillsAll() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        let agent = scripts.script("stubborn.sh", Self.stubborn)
        var outputs: [RecordingRunOutput] = []
        for _ in 0..<4 {
            let output = RecordingRunOutput()
            _ = try reactor.start(scripts.spec(agent), request: makeRequest(), output: output)
            outputs.append(output)
        }
        for output in outputs { #expect(await output.waitForProgress(count: 1)) }
        let pids = outputs.compactMap { $0.progressData.first?["pid"]?.int64Value.map(Int32.init) }
        #expect(pids.count == 4)
        reactor.shutdown()
        for output in outputs { #expect(output.outcomeKind == "shutdown") }
        for pid in pids { #expect(ProcInfo.state(of: pid) == nil) }
        #expect(reactor.activeRuns == 0)
        #expect(throws: AgentStartError.self) {
            _ = try reactor.start(scripts.spec(agent), request: makeRequest(), output: RecordingRunOutput())
        }
        reactor.shutdown() // idempotent
    }

    @Test("no zombies after many runs that end in every way")
    func noZombies() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let bodies = [
            #"echo "{\"type\":\"agent_thinking\",\"data\":{\"pid\":$$}}"; echo '{"type":"agent_completed","result":1}'"#,
            #"echo "{\"type\":\"agent_thinking\",\"data\":{\"pid\":$$}}"; exit 4"#,
            #"echo "{\"type\":\"agent_thinking\",\"data\":{\"pid\":$$}}"; kill -KILL $$"#,
            #"echo "{\"type\":\"agent_thinking\",\"data\":{\"pid\":$$}}"; echo garbage"#,
            #"echo "{\"type\":\"agent_thinking\",\"data\":{\"pid\":$$}}"; sleep 0.05 & exit 0"#,
        ]
        let agents = bodies.enumerated().map { scripts.script("a\($0.offset).sh", $0.element) }
        var outputs: [RecordingRunOutput] = []
        for round in 0..<60 {
            let output = RecordingRunOutput()
            _ = try reactor.start(scripts.spec(agents[round % agents.count]), request: makeRequest(), output: output)
            outputs.append(output)
        }
        for output in outputs { #expect(await output.waitForOutcome() != nil) }
        let pids = outputs.compactMap { $0.progressData.first?["pid"]?.int64Value.map(Int32.init) }
        #expect(pids.count == 60)
        for pid in pids { #expect(ProcInfo.state(of: pid) == nil, "agent \(pid) was reaped") }
        let ours = Set(pids)
        #expect(ProcInfo.zombieChildren().filter(ours.contains).isEmpty)
        #expect(reactor.activeRuns == 0)
    }
}

/// Makes this (test) process a child subreaper, so orphans of agent groups come back to it, as
/// they do when isolationd runs as PID 1. prctl is variadic in C; its glibc wrapper reads the
/// four integer arguments, which this fixed-arity call supplies.
func setChildSubreaper() {
    typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "prctl") else { return }
    _ = unsafeBitCast(symbol, to: Prctl.self)(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0)
}
