#if canImport(Glibc)
import Glibc
#endif

/// One running agent process, as the supervisor sees it. Touched only on the reactor thread.
final class ChildRun {
    enum StopRequest { case cancelled, shutdown }

    let id: UInt64
    let pid: pid_t
    let agent: String
    let userID: String
    let output: any AgentRunOutput

    var descriptors: ChildDescriptors
    var stdin: StdinFeed
    var stdout: StdoutProgress
    var stderr: StderrTail
    var timers = ChildTimers()

    /// The agent's own final word (`agent_completed` / `agent_error`), when it gave one.
    var terminal: AgentOutcome?
    /// A protocol fault found by the supervisor (`bad_output`, `output_limit`); the group is killed.
    var fault: (kind: String, message: String)?
    var stopRequest: StopRequest?
    var exit: ChildExit?
    /// The group was killed by the supervisor (cancel, fault, shutdown or a lingering child).
    var killedByReactor = false

    init(registration: RunRegistration, child: SpawnedChild) {
        id = registration.id
        pid = child.pid
        agent = registration.agent
        userID = registration.userID
        output = registration.output
        descriptors = ChildDescriptors(child)
        stdin = StdinFeed(pending: registration.stdin)
        stdout = StdoutProgress(limit: registration.stdoutLimit)
        stderr = StderrTail(keep: registration.stderrKeep)
    }

    /// Takes stdout bytes: counts them against the limit, splits lines, forwards events.
    /// Returns false when a fault was found (the caller kills the group and stops reading).
    func consumeStdout(_ chunk: UnsafeRawBufferPointer) -> Bool {
        stdout.byteCount += chunk.count
        if stdout.byteCount > stdout.limit {
            fault = ("output_limit", "stdout exceeded its limit of \(stdout.limit) bytes; the agent was killed")
            return false
        }
        var lineStart = 0
        for index in 0..<chunk.count where chunk[index] == 0x0A {
            let ok: Bool
            if stdout.partialLine.isEmpty {
                ok = handleLine(Array(chunk[lineStart..<index])[...])
            } else {
                stdout.partialLine.append(contentsOf: chunk[lineStart..<index])
                ok = handleLine(stdout.partialLine[...])
                stdout.partialLine.removeAll(keepingCapacity: true)
            }
            if !ok { return false }
            lineStart = index + 1
        }
        if lineStart < chunk.count { stdout.partialLine.append(contentsOf: chunk[lineStart...]) }
        return true
    }

    /// At stdout EOF: a last line without a newline still counts.
    func flushPartialLine() -> Bool {
        guard !stdout.partialLine.isEmpty else { return true }
        defer { stdout.partialLine = [] }
        return handleLine(stdout.partialLine[...])
    }

    private func handleLine(_ line: ArraySlice<UInt8>) -> Bool {
        stdout.lineNumber += 1
        // After its final event the agent has nothing more to say; trailing lines are ignored.
        guard terminal == nil, fault == nil else { return true }
        switch AgentOutputLine.parse(line) {
        case .failure(let error):
            fault = ("bad_output", "stdout line \(stdout.lineNumber): \(error.reason)")
            return false
        case .success(.blank):
            return true
        case .success(.progress(let type, let data)):
            output.progress(type, data: data)
        case .success(.completed(let result)):
            terminal = .completed(result: result)
        case .success(.error(let message)):
            terminal = .failed(kind: "agent_error", message: message)
        }
        return true
    }

    /// How the run ended, decided once the child has been reaped. Order matters: an explicit
    /// stop wins, then faults the supervisor found, then what the agent said and how it exited.
    func outcome() -> AgentOutcome {
        let stderrNote = stderr.summary.map { "; stderr: \($0)" } ?? ""
        switch stopRequest {
        case .cancelled?: return .failed(kind: "cancelled", message: "run cancelled; the process group was stopped")
        case .shutdown?: return .failed(kind: "shutdown", message: "the server shut down; the process group was killed")
        case nil: break
        }
        if let fault { return .failed(kind: fault.kind, message: fault.message) }
        if case .failed(let kind, let message)? = terminal, kind == "agent_error" {
            return .failed(kind: kind, message: message)
        }
        // 126/127 with our wrapper's complaint: the agent's program never started.
        if case .exited(let code)? = exit, code == 126 || code == 127, stdout.byteCount == 0,
           let failure = stderr.wrapperExecFailure {
            return .failed(kind: "spawn_failed", message: failure)
        }
        switch exit {
        case .signaled(let signal)? where !(killedByReactor && terminal != nil):
            var message = "the agent was killed by \(SystemCalls.signalDescription(signal))"
            if signal == SIGXCPU { message += ": CPU time limit reached" }
            return .failed(kind: "crashed", message: message + stderrNote)
        case .exited(let code)? where code != 0:
            return .failed(kind: "exit_status", message: "the agent exited with status \(code)" + stderrNote)
        case nil:
            return .failed(kind: "crashed", message: "the agent's exit status could not be collected" + stderrNote)
        default:
            break
        }
        if let terminal { return terminal }
        return .failed(kind: "no_terminal_event",
                       message: "the agent exited without an agent_completed or agent_error event" + stderrNote)
    }
}

/// What `ProcessReactor.start` hands to the reactor thread for a new child.
struct RunRegistration: Sendable {
    var id: UInt64
    /// Spawned on the reactor thread when it takes the registration.
    var spec: ProcessAgentSpec
    var agent: String
    /// Whose process it is (the per-user process count).
    var userID: String
    var stdin: [UInt8]
    var stdoutLimit: Int
    var stderrKeep: Int
    var output: any AgentRunOutput
}
