#if canImport(Glibc)
import Glibc
#endif
import ExecutionCore

/// Context creation + validation throughput on one thread (target ≥ 500,000/s).
enum ContextBench {
    static func run(seconds: Double) {
        print("== contexts")
        let policy = ContextPolicy()
        let clock = SystemClock()
        let users = (0..<1000).map { "bench-user-\($0)" }
        let runIDs = (0..<1000).map { _ in RandomIdentifier.uuid() }

        var sink = 0
        var measured = CoreBenchTiming.measure(seconds: seconds) { round in
            for i in 0..<1000 {
                if let context = try? policy.makeContext(userID: users[i], threadID: "thread-main",
                                                         runID: runIDs[(i &+ round) % 1000], clock: clock) {
                    sink &+= context.operationDepth &+ 1
                }
            }
            return 1000
        }
        CoreBenchTiming.report("create+validate (ids given, run_id supplied)", measured, unit: "contexts/s")

        measured = CoreBenchTiming.measure(seconds: seconds) { _ in
            for i in 0..<1000 {
                if let context = try? policy.makeContext(userID: users[i], threadID: "thread-main", clock: clock) {
                    sink &+= context.operationDepth &+ 1
                }
            }
            return 1000
        }
        CoreBenchTiming.report("create+validate (run_id generated)", measured, unit: "contexts/s")

        let agentContext: JSONObject = ["preferences": .object(["model": .string("m-large"), "temperature": .double(0.2)]),
                                        "locale": .string("fr-FR")]
        let audit: JSONObject = ["client": .string("web"), "ip": .string("10.0.0.1")]
        measured = CoreBenchTiming.measure(seconds: seconds) { round in
            for i in 0..<1000 {
                if let context = try? policy.makeContext(userID: users[i], threadID: "thread-main",
                                                         runID: runIDs[(i &+ round) % 1000], websocketClientID: "ws-1",
                                                         agentContext: agentContext, auditMetadata: audit, clock: clock) {
                    sink &+= context.operationDepth &+ 1
                }
            }
            return 1000
        }
        CoreBenchTiming.report("create+validate (with agent_context and audit_metadata)", measured, unit: "contexts/s")

        if let parent = try? policy.makeContext(userID: "bench-user", threadID: "thread-main", agentContext: agentContext, clock: clock) {
            measured = CoreBenchTiming.measure(seconds: seconds) { _ in
                for _ in 0..<1000 {
                    if let child = try? parent.child(operationName: "sub-agent", policy: policy, clock: clock) {
                        sink &+= child.operationDepth
                    }
                }
                return 1000
            }
            CoreBenchTiming.report("child contexts", measured, unit: "contexts/s")
        }
        if sink == 42 { print("") } // keeps the work observable to the optimiser
    }
}

/// Timing helpers shared by the contexts and engines benches (thread CPU time and wall time).
enum CoreBenchTiming {
    struct Measured {
        var count: Int
        var cpu: Double
        var wall: Double
    }

    /// Runs `body` (which returns how many operations it did) until `seconds` of wall time pass.
    static func measure(seconds: Double, _ body: (Int) -> Int) -> Measured {
        let wallStart = monotonicSeconds()
        let cpuStart = threadCPUSeconds()
        var count = 0
        var round = 0
        while monotonicSeconds() - wallStart < seconds {
            count += body(round)
            round += 1
        }
        return Measured(count: count, cpu: threadCPUSeconds() - cpuStart, wall: monotonicSeconds() - wallStart)
    }

    static func report(_ label: String, _ measured: Measured, unit: String) {
        let perCPU = Int(Double(measured.count) / max(measured.cpu, 1e-9))
        let perWall = Int(Double(measured.count) / max(measured.wall, 1e-9))
        print("  \(label): \(perCPU) \(unit) per CPU-second, \(perWall) per wall-second (\(measured.count) in \(Int(measured.wall * 1000)) ms)")
    }
}
