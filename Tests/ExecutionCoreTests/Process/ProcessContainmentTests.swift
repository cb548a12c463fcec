#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ExecutionCore

/// An agent cannot outlive or outgrow its run (issue 12, item 6): it carries a parent-death
/// signal, and `limits.processes` caps how many processes it can fork.
@Suite("Process agents: parent-death signal and process limit")
struct ProcessContainmentTests {
    /// setpriv can change the user id only for root; the process limit binds only other users.
    static let runsAsRoot = getuid() == 0

    @Test("every agent carries SIGKILL as its parent-death signal (read with prctl in the agent)")
    func parentDeathSignal() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let agent = scripts.script("pdeathsig.py", #"""
        import ctypes, json
        libc = ctypes.CDLL(None, use_errno=True)
        signal = ctypes.c_int(0)
        libc.prctl(2, ctypes.byref(signal))  # PR_GET_PDEATHSIG
        print(json.dumps({"type": "agent_completed", "result": signal.value}))
        """#, interpreter: "/usr/bin/python3")
        // With and without resource limits (prlimit execs in between): the setting survives.
        for limits in [ProcessResourceLimits(), ProcessResourceLimits(openFiles: 64)] {
            let output = RecordingRunOutput()
            _ = try reactor.start(scripts.spec(agent, limits: limits), request: makeRequest(), output: output)
            #expect(await output.waitForOutcome() == .completed(result: .integer(Int64(SIGKILL))))
        }
    }

    @Test("limits.processes: an agent of its own user cannot fork past the limit",
          .enabled(if: ProcessContainmentTests.runsAsRoot, "needs root, to run the agent as the unprivileged user nobody"))
    func processLimitEnforced() async throws {
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        // Forks children that wait, counting forks that succeed and fail; then ends them all.
        // Given inline (-c): nobody cannot read a test's private script directory.
        let program = #"""
        import json, os, signal
        made, refused = [], 0
        for _ in range(12):
            try:
                pid = os.fork()
            except OSError:
                refused += 1
                continue
            if pid == 0:
                signal.pause()
                os._exit(0)
            made.append(pid)
        for pid in made:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        print(json.dumps({"type": "agent_completed", "result": {"made": len(made), "refused": refused}}))
        """#
        // The agent runs as nobody (setpriv, after prlimit has set RLIMIT_NPROC to 4).
        let spec = ProcessAgentSpec(command: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                              "/usr/bin/python3", "-c", program],
                                    workingDirectory: "/tmp", limits: ProcessResourceLimits(processes: 4))
        let output = RecordingRunOutput()
        _ = try reactor.start(spec, request: makeRequest(), output: output)
        guard case .completed(let result)? = await output.waitForOutcome() else {
            Issue.record("\(String(describing: output.outcome))"); return
        }
        // The agent itself is one of nobody's processes: at most 3 more, the other forks refused.
        let made = result["made"]?.int64Value ?? -1
        #expect((0...3).contains(made), "\(result)")
        #expect(result["refused"]?.int64Value == 12 - made)
    }
}
