#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The process reactor's thread: one `epoll` over every child's pipes and pidfd, timers for
/// kill deadlines, and reaping. All state here is touched only on that thread.
final class ReactorLoop {
    enum Slot: UInt64 { case stdin = 1, stdout = 2, stderr = 3, pidfd = 4 }
    private static let mailboxTag: UInt64 = 0
    /// How often exits are polled when a child has no pidfd, and orphan groups are swept.
    private static let pollInterval: Int64 = 20_000_000
    private static let readChunk = 65_536
    /// Reads per descriptor per wake-up: a flooding child cannot starve the others.
    private static let readsPerWake = 8

    let epollFD: Int32
    let epoll: LinuxEpoll
    let mailbox: ReactorMailbox
    let configuration: ProcessReactor.Configuration
    /// The reactor's spawner (`start` uses it for the checks): children are spawned here, on the
    /// reactor thread, never on the thread asking for a run.
    let spawner: ProcessSpawner
    var runs: [UInt64: ChildRun] = [:]
    /// Process groups whose stragglers may still need reaping (only with `reapOrphans`).
    var orphanGroups: [pid_t: Int64] = [:]
    private var shutdownDeadline: Int64?
    private var readBuffer = [UInt8](repeating: 0, count: ReactorLoop.readChunk)
    var exitGrace: Int64 { configuration.exitGraceAfterTerminal.nanoseconds }

    init(epoll: LinuxEpoll, epollFD: Int32, mailbox: ReactorMailbox, spawner: ProcessSpawner,
         configuration: ProcessReactor.Configuration) {
        self.epoll = epoll
        self.epollFD = epollFD
        self.mailbox = mailbox
        self.configuration = configuration
        self.spawner = spawner
    }

    // MARK: The loop

    func run() {
        // Writing to a child's closed stdin raises SIGPIPE on the writing thread; blocked here, the
        // write fails with EPIPE instead, whatever the process-wide disposition is.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)

        var events = EpollEventBuffer(capacity: 64)
        while true {
            let count = events.wait(epoll, epollFD: epollFD, timeoutMilliseconds: timeoutMilliseconds())
            if count < 0 { configuration.logger.error("epoll_wait failed: \(SystemCalls.errorText(errno))") }
            for index in 0..<max(0, count) {
                let tag = events.data(at: index)
                if tag == Self.mailboxTag { drainMailbox() } else { dispatch(tag: tag) }
            }
            handleTimers()
            if let deadline = shutdownDeadline {
                if runs.isEmpty { break }
                if SystemCalls.monotonicNanoseconds() >= deadline { abandonRemaining(); break }
            }
        }
        close(epollFD)
    }

    private func timeoutMilliseconds() -> Int32 {
        var next: Int64 = .max
        for run in runs.values {
            if let deadline = run.killDeadline { next = min(next, deadline) }
            if run.pidFD < 0 { next = min(next, SystemCalls.monotonicNanoseconds() + Self.pollInterval) }
        }
        if !orphanGroups.isEmpty { next = min(next, SystemCalls.monotonicNanoseconds() + Self.pollInterval) }
        if let shutdownDeadline { next = min(next, shutdownDeadline) }
        guard next != .max else { return -1 }
        let remaining = next - SystemCalls.monotonicNanoseconds()
        if remaining <= 0 { return 0 }
        return Int32(clamping: (remaining + 999_999) / 1_000_000)
    }

    private func drainMailbox() {
        var counter: UInt64 = 0
        _ = read(mailbox.eventFD, &counter, 8)
        for command in mailbox.take() {
            switch command {
            case .register(let registration): register(registration)
            case .cancel(let id, let grace): cancel(id, grace: grace)
            case .shutdown: beginShutdown()
            }
        }
    }

    private func dispatch(tag: UInt64) {
        guard let run = runs[tag >> 3], let slot = Slot(rawValue: tag & 7) else { return }
        switch slot {
        case .stdin: writeStdin(run)
        case .stdout: readStdout(run)
        case .stderr: readStderr(run)
        case .pidfd: childMayHaveExited(run)
        }
    }

    // MARK: Commands

    private func register(_ registration: RunRegistration) {
        guard shutdownDeadline == nil else {
            return abandon(registration, .failed(kind: "shutdown", message: "the server shut down before the agent started"))
        }
        do {
            watch(ChildRun(registration: registration, child: try spawner.spawn(registration.spec)))
        } catch {
            configuration.logger.warning("process agent could not be started", metadata: [
                "agent": .string(registration.agent), "message": .string(error.message)])
            abandon(registration, .failed(kind: "spawn_failed", message: error.message))
        }
    }

    /// Ends a run for which nothing was spawned.
    private func abandon(_ registration: RunRegistration, _ outcome: AgentOutcome) {
        mailbox.activeRuns.subtract(1, ordering: .relaxed)
        registration.output.finish(outcome)
    }

    /// Starts watching a just-spawned child: its pipes, its pidfd, and the stdin document.
    private func watch(_ run: ChildRun) {
        runs[run.id] = run
        watch(run.stdoutFD, run, .stdout, LinuxEpoll.input)
        watch(run.stderrFD, run, .stderr, LinuxEpoll.input)
        if run.pidFD >= 0 { watch(run.pidFD, run, .pidfd, LinuxEpoll.input) }
        writeStdin(run)
        if run.stdinFD >= 0 { watch(run.stdinFD, run, .stdin, LinuxEpoll.output) }
    }

    private func cancel(_ id: UInt64, grace: Duration) {
        guard let run = runs[id], run.stopRequest == nil else { return }
        stop(run, .cancelled, grace: grace)
    }

    /// SIGTERM to the whole group, SIGKILL when `grace` has passed (at once for a zero grace).
    private func stop(_ run: ChildRun, _ request: ChildRun.StopRequest, grace: Duration) {
        if run.stopRequest == nil { run.stopRequest = request }
        run.killedByReactor = true
        if grace <= .zero {
            signalGroup(run, SIGKILL)
        } else {
            signalGroup(run, SIGTERM)
            let deadline = SystemCalls.monotonicNanoseconds() + grace.nanoseconds
            run.killDeadline = min(run.killDeadline ?? .max, deadline)
        }
    }

    private func beginShutdown() {
        guard shutdownDeadline == nil else { return }
        // Killed children die at once; the deadline only bounds waiting for an unkillable one.
        shutdownDeadline = SystemCalls.monotonicNanoseconds() + 2_000_000_000
        for run in runs.values { stop(run, .shutdown, grace: .zero) }
    }

    private func handleTimers() {
        let now = SystemCalls.monotonicNanoseconds()
        for run in Array(runs.values) {
            if let deadline = run.killDeadline, deadline <= now {
                run.killDeadline = nil
                run.killedByReactor = true
                signalGroup(run, SIGKILL)
            }
            if run.pidFD < 0 { childMayHaveExited(run) }
        }
        if !orphanGroups.isEmpty { sweepOrphanGroups(now: now) }
    }

    // MARK: Pipes

    private func writeStdin(_ run: ChildRun) {
        guard run.stdinFD >= 0 else { return }
        while run.stdinOffset < run.stdinPending.count {
            let written = run.stdinPending.withUnsafeBytes { bytes in
                write(run.stdinFD, bytes.baseAddress! + run.stdinOffset, bytes.count - run.stdinOffset)
            }
            if written > 0 { run.stdinOffset += written; continue }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && errno == EAGAIN { return } // EPOLLOUT will call again
            if written < 0 && errno == EPIPE { discardPendingPipeSignal() }
            break // EPIPE or another error: the child does not read its input; not a failure
        }
        closeDescriptor(&run.stdinFD)
        run.stdinPending = []
    }

    func readStdout(_ run: ChildRun) {
        for _ in 0..<Self.readsPerWake {
            guard run.stdoutFD >= 0 else { return }
            let count = readBuffer.withUnsafeMutableBytes { read(run.stdoutFD, $0.baseAddress, $0.count) }
            if count > 0 {
                let ok = readBuffer.withUnsafeBytes { run.consumeStdout(UnsafeRawBufferPointer(rebasing: $0[0..<count]), exitGrace: exitGrace) }
                if !ok { abortForFault(run); return }
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno == EAGAIN { return }
            // EOF (or a read error): the child closed stdout, usually by exiting.
            if !run.flushPartialLine(exitGrace: exitGrace) { abortForFault(run); return }
            closeDescriptor(&run.stdoutFD)
            if run.pidFD < 0 { childMayHaveExited(run) }
            return
        }
    }

    func readStderr(_ run: ChildRun) {
        for _ in 0..<Self.readsPerWake {
            guard run.stderrFD >= 0 else { return }
            let count = readBuffer.withUnsafeMutableBytes { read(run.stderrFD, $0.baseAddress, $0.count) }
            if count > 0 {
                readBuffer.withUnsafeBytes { run.keepStderr(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                continue
            }
            if count < 0 && (errno == EINTR) { continue }
            if count < 0 && errno == EAGAIN { return }
            closeDescriptor(&run.stderrFD)
            return
        }
    }

    /// A protocol fault: kill the whole group now and stop reading its stdout.
    private func abortForFault(_ run: ChildRun) {
        run.killedByReactor = true
        signalGroup(run, SIGKILL)
        closeDescriptor(&run.stdoutFD)
    }

    // MARK: Helpers

    private func signalGroup(_ run: ChildRun, _ signal: Int32) {
        // Only while the leader is unreaped: afterwards the group id could belong to someone else.
        if run.exit == nil { kill(-run.pid, signal) }
    }

    private func watch(_ fd: Int32, _ run: ChildRun, _ slot: Slot, _ events: UInt32) {
        guard fd >= 0 else { return }
        if !epoll.add(epollFD, fd: fd, events: events, data: run.id << 3 | slot.rawValue) {
            configuration.logger.error("epoll_ctl ADD failed: \(SystemCalls.errorText(errno))")
        }
    }

    func closeDescriptor(_ fd: inout Int32) {
        guard fd >= 0 else { return }
        epoll.remove(epollFD, fd: fd)
        close(fd)
        fd = -1
    }

    private func discardPendingPipeSignal() {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var noWait = timespec()
        _ = sigtimedwait(&pipeSignal, nil, &noWait)
    }
}
