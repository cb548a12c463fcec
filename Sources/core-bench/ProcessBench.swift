#if canImport(Glibc)
import Glibc
#endif
import ExecutionCore
import Synchronization

/// Process agent latency: from `start` to the first event reaching the run's output (on the
/// reactor thread), and to the run's end. Runs one at a time, so the figure is the reactor's
/// and the kernel's cost, not queueing.
enum ProcessBench {
    static func run(seconds: Double) {
        print("== process agents")
        guard let directory = makeDirectory() else { print("  cannot create a temp directory"); return }
        defer { rmdir(directory) }
        let script = directory + "/first-event.sh"
        writeScript(script, """
        #!/bin/sh
        echo '{"type":"agent_thinking","data":{"step":1}}'
        echo '{"type":"agent_completed","result":1}'
        """)
        defer { unlink(script) }
        guard let reactor = try? ProcessReactor() else { print("  cannot start the reactor"); return }
        defer { reactor.shutdown() }
        let plain = ProcessAgentSpec(command: [script], workingDirectory: directory)
        var limited = plain
        limited.limits = ProcessResourceLimits(cpuSeconds: 10, addressSpaceBytes: 1 << 30, openFiles: 64)
        measure("sh agent", plain, reactor: reactor, seconds: seconds / 2)
        measure("sh agent via prlimit (rlimits set)", limited, reactor: reactor, seconds: seconds / 2)
    }

    static func measure(_ label: String, _ spec: ProcessAgentSpec, reactor: ProcessReactor, seconds: Double) {
        var firstEvent: [Double] = []
        var completion: [Double] = []
        let start = monotonicSeconds()
        while monotonicSeconds() - start < seconds && firstEvent.count < 2000 {
            let output = TimingOutput()
            let began = monotonicSeconds()
            let request = AgentRunRequest(executionID: "bench", agent: "bench", context: .object([:]), input: .object([:]))
            guard (try? reactor.start(spec, request: request, output: output)) != nil else { print("  start failed"); return }
            var spins = 0
            while output.finishedAt == nil && spins < 200_000 { usleep(20); spins += 1 }
            guard let first = output.firstEventAt, let end = output.finishedAt else { print("  a run did not finish"); return }
            firstEvent.append((first - began) * 1000)
            completion.append((end - began) * 1000)
        }
        firstEvent.sort()
        completion.sort()
        print("  \(label): \(firstEvent.count) runs; first event p50 \(ms(percentile(firstEvent, 0.5))) ms, "
              + "p90 \(ms(percentile(firstEvent, 0.9))) ms, p99 \(ms(percentile(firstEvent, 0.99))) ms; "
              + "run end p50 \(ms(percentile(completion, 0.5))) ms")
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
    }

    static func ms(_ value: Double) -> String { EventBench.format2(value) }

    static func makeDirectory() -> String? {
        var template = Array("/tmp/core-bench-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) }
    }

    static func writeScript(_ path: String, _ text: String) {
        guard let handle = fopen(path, "w") else { return }
        _ = text.withCString { fputs($0, handle) }
        fclose(handle)
        chmod(path, 0o755)
    }
}

/// Records when the first event and the end arrive (monotonic seconds).
final class TimingOutput: AgentRunOutput {
    private let state = Mutex<(first: Double?, end: Double?)>((nil, nil))
    func progress(_ type: EventType, data: JSONValue) {
        let now = monotonicSeconds()
        state.withLock { if $0.first == nil { $0.first = now } }
    }
    func finish(_ outcome: AgentOutcome) {
        let now = monotonicSeconds()
        state.withLock { $0.end = now }
    }
    var firstEventAt: Double? { state.withLock { $0.first } }
    var finishedAt: Double? { state.withLock { $0.end } }
}
