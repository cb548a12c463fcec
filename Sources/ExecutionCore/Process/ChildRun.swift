#if canImport(Glibc)
import Glibc
#endif

/// One running agent process, as the reactor sees it. Touched only on the reactor thread.
final class ChildRun {
    enum StopRequest { case cancelled, shutdown }

    let id: UInt64
    let pid: pid_t
    let agent: String
    let output: any AgentRunOutput
    let stdoutLimit: Int
    let stderrKeep: Int
    let startedAt: Int64

    var pidFD: Int32
    var stdinFD: Int32
    var stdoutFD: Int32
    var stderrFD: Int32
    var stdinPending: [UInt8]
    var stdinOffset = 0

    /// Bytes of an incomplete stdout line.
    var partialLine: [UInt8] = []
    var stdoutBytes = 0
    var lineNumber = 0
    var stderrTail: [UInt8] = []

    /// The agent's own final word (`agent_completed` / `agent_error`), when it gave one.
    var terminal: AgentOutcome?
    /// A protocol fault found by the reactor (`bad_output`, `output_limit`); the group is killed.
    var fault: (kind: String, message: String)?
    var stopRequest: StopRequest?
    var exit: ChildExit?
    /// SIGKILL the group at this monotonic time (cancel grace, or exit grace after the terminal event).
    var killDeadline: Int64?
    /// The group was killed by the reactor (cancel, fault, shutdown or a lingering child).
    var killedByReactor = false

    init(registration: RunRegistration, child: SpawnedChild) {
        id = registration.id
        pid = child.pid
        agent = registration.agent
        output = registration.output
        stdoutLimit = registration.stdoutLimit
        stderrKeep = registration.stderrKeep
        startedAt = registration.startedAt
        pidFD = child.pidFD
        stdinFD = child.stdinFD
        stdoutFD = child.stdoutFD
        stderrFD = child.stderrFD
        stdinPending = registration.stdin
    }

    /// Takes stdout bytes: counts them against the limit, splits lines, forwards events.
    /// Returns false when a fault was found (the caller kills the group and stops reading).
    func consumeStdout(_ chunk: UnsafeRawBufferPointer, exitGrace: Int64) -> Bool {
        stdoutBytes += chunk.count
        if stdoutBytes > stdoutLimit {
            fault = ("output_limit", "stdout exceeded its limit of \(stdoutLimit) bytes; the agent was killed")
            return false
        }
        var lineStart = 0
        for index in 0..<chunk.count where chunk[index] == 0x0A {
            let ok: Bool
            if partialLine.isEmpty {
                ok = handleLine(Array(chunk[lineStart..<index])[...], exitGrace: exitGrace)
            } else {
                partialLine.append(contentsOf: chunk[lineStart..<index])
                ok = handleLine(partialLine[...], exitGrace: exitGrace)
                partialLine.removeAll(keepingCapacity: true)
            }
            if !ok { return false }
            lineStart = index + 1
        }
        if lineStart < chunk.count { partialLine.append(contentsOf: chunk[lineStart...]) }
        return true
    }

    /// At stdout EOF: a last line without a newline still counts.
    func flushPartialLine(exitGrace: Int64) -> Bool {
        guard !partialLine.isEmpty else { return true }
        defer { partialLine = [] }
        return handleLine(partialLine[...], exitGrace: exitGrace)
    }

    private func handleLine(_ line: ArraySlice<UInt8>, exitGrace: Int64) -> Bool {
        lineNumber += 1
        // After its final event the agent has nothing more to say; trailing lines are ignored.
        guard terminal == nil, fault == nil else { return true }
        switch AgentOutputLine.parse(line) {
        case .failure(let error):
            fault = ("bad_output", "stdout line \(lineNumber): \(error.reason)")
            return false
        case .success(.blank):
            return true
        case .success(.progress(let type, let data)):
            output.progress(type, data: data)
        case .success(.completed(let result)):
            terminal = .completed(result: result)
            killDeadline = min(killDeadline ?? .max, SystemCalls.monotonicNanoseconds() + exitGrace)
        case .success(.error(let message)):
            terminal = .failed(kind: "agent_error", message: message)
            killDeadline = min(killDeadline ?? .max, SystemCalls.monotonicNanoseconds() + exitGrace)
        }
        return true
    }

    func keepStderr(_ chunk: UnsafeRawBufferPointer) {
        guard stderrKeep > 0 else { return }
        stderrTail.append(contentsOf: chunk)
        if stderrTail.count > stderrKeep { stderrTail.removeFirst(stderrTail.count - stderrKeep) }
    }

    /// The last line or so of stderr, for failure messages.
    var stderrSummary: String? {
        var text = String(decoding: stderrTail.suffix(300), as: UTF8.self)
        while text.last?.isWhitespace == true { text.removeLast() }
        return text.isEmpty ? nil : text
    }

    /// How the run ended, decided once the child has been reaped. Order matters: an explicit
    /// stop wins, then faults the reactor found, then what the agent said and how it exited.
    func outcome() -> AgentOutcome {
        let stderrNote = stderrSummary.map { "; stderr: \($0)" } ?? ""
        switch stopRequest {
        case .cancelled?: return .failed(kind: "cancelled", message: "run cancelled; the process group was stopped")
        case .shutdown?: return .failed(kind: "shutdown", message: "the server shut down; the process group was killed")
        case nil: break
        }
        if let fault { return .failed(kind: fault.kind, message: fault.message) }
        if case .failed(let kind, let message)? = terminal, kind == "agent_error" {
            return .failed(kind: kind, message: message)
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
    /// Spawned by the reactor thread when it takes the registration.
    var spec: ProcessAgentSpec
    var agent: String
    var stdin: [UInt8]
    var stdoutLimit: Int
    var stderrKeep: Int
    var output: any AgentRunOutput
    var startedAt: Int64
}
