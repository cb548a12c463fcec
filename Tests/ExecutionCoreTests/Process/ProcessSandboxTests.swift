#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ExecutionCore

/// What a child is allowed to see and use: environment, limits, working directory.
@Suite("Process agents: environment, limits, working directory")
struct ProcessSandboxTests {
    @Test("the child sees only the allowed environment")
    func cleanEnvironment() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let agent = scripts.script("env.py", #"""
        import json
        raw = open("/proc/self/environ", "rb").read().split(b"\0")
        env = dict(item.decode().split("=", 1) for item in raw if item)
        print(json.dumps({"type": "agent_completed", "result": env}))
        """#, interpreter: "/usr/bin/python3")
        #expect(SystemCalls.environmentValue("PATH") != nil, "the test process has a PATH to withhold")
        let environment = ProcessEnvironment(inherit: ["HOME", "ISOLATIOND_SURELY_UNSET_VARIABLE"],
                                             set: ["AGENT_MODE": "test", "GREETING": "hi there"])
        let output = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(agent, environment: environment), request: makeRequest(), output: output)
        guard case .completed(let result)? = await output.waitForOutcome() else { Issue.record("\(String(describing: output.outcome))"); return }
        var expected: [String: JSONValue] = ["AGENT_MODE": .string("test"), "GREETING": .string("hi there")]
        if let home = SystemCalls.environmentValue("HOME") { expected["HOME"] = .string(home) }
        #expect(result == .object(expected))
    }

    @Test("resource limits are in force in the child (read from /proc/self/limits)")
    func limitsApplied() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let agent = scripts.script("limits.py", #"""
        import json
        found = {}
        for line in open("/proc/self/limits"):
            for label, key in (("Max cpu time", "cpu"), ("Max address space", "as"), ("Max open files", "nofile"),
                               ("Max processes", "nproc")):
                if line.startswith(label):
                    parts = line[len(label):].split()
                    found[key] = {"soft": parts[0], "hard": parts[1]}
        print(json.dumps({"type": "agent_completed", "result": found}))
        """#, interpreter: "/usr/bin/python3")
        let limits = ProcessResourceLimits(cpuSeconds: 7, addressSpaceBytes: 1 << 30, openFiles: 32, processes: 40)
        let output = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(agent, limits: limits), request: makeRequest(), output: output)
        guard case .completed(let result)? = await output.waitForOutcome() else { Issue.record("\(String(describing: output.outcome))"); return }
        #expect(result["cpu"] == .object(["soft": .string("7"), "hard": .string("7")]))
        #expect(result["as"] == .object(["soft": .string("\(1 << 30)"), "hard": .string("\(1 << 30)")]))
        #expect(result["nofile"] == .object(["soft": .string("32"), "hard": .string("32")]))
        #expect(result["nproc"] == .object(["soft": .string("40"), "hard": .string("40")]))
    }

    @Test("a CPU-bound agent past its CPU limit is stopped by the kernel and reported as crashed")
    func cpuLimitEnforced() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let agent = scripts.script("spin.sh", "while :; do :; done")
        let output = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(agent, limits: .init(cpuSeconds: 1)), request: makeRequest(), output: output)
        guard case .failed(let kind, let message)? = await output.waitForOutcome(timeout: .seconds(20)) else {
            Issue.record("no failure: \(String(describing: output.outcome))"); return
        }
        #expect(kind == "crashed")
        #expect(message.contains("SIGXCPU") || message.contains("SIGKILL"), "message: \(message)")
    }

    @Test("the child runs in its configured working directory")
    func workingDirectory() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        let agent = scripts.script("pwd.sh", #"printf '{"type":"agent_completed","result":"%s"}\n' "$(pwd -P)""#)
        let output = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(agent, workingDirectory: "/proc/self/.."), request: makeRequest(), output: output)
        #expect(await output.waitForOutcome() == .completed(result: .string("/proc")))
    }

    @Test("no descriptor of the server leaks into the child beyond stdin, stdout and stderr")
    func descriptorsClosed() async throws {
        let scripts = ScriptDirectory()
        defer { scripts.remove() }
        let reactor = try quietReactor()
        defer { reactor.shutdown() }
        // A descriptor without close-on-exec, as careless code elsewhere in the server might
        // leave behind, at a high number. F_DUPFD takes the lowest *free* number from 900 on:
        // dup2 onto a fixed number would silently close whatever a concurrent test had there
        // (once a reactor's eventfd, whose loop then slept for good).
        let opened = open("/dev/null", O_RDONLY)
        let leaky = fcntl(opened, F_DUPFD, Int32(900))
        #expect(leaky >= 900)
        close(opened)
        defer { close(leaky) }
        let agent = scripts.script("fds.py", #"""
        import json, os
        print(json.dumps({"type": "agent_completed", "result": sorted(int(fd) for fd in os.listdir("/proc/self/fd"))}))
        """#, interpreter: "/usr/bin/python3")
        let output = RecordingRunOutput()
        _ = try reactor.start(scripts.spec(agent), request: makeRequest(), output: output)
        guard case .completed(let result)? = await output.waitForOutcome(), let listed = result.arrayValue else {
            Issue.record("\(String(describing: output.outcome))"); return
        }
        let fds = listed.compactMap(\.int64Value)
        #expect(fds.prefix(3) == [0, 1, 2])
        // Beyond the standard streams only the descriptor listing /proc/self/fd itself may appear.
        #expect(fds.count <= 4, "open in the child: \(fds)")
        #expect(!fds.contains(Int64(leaky)))
    }
}
