#if canImport(Glibc)
import Glibc
#endif
import Logging
import Platform

/// The process reactor's state on its reactor thread: every child's pipes and pidfd are
/// registered with the reactor (a `ChildDescriptorHandler` each), kill deadlines and the exit
/// poll of children without a pidfd are reactor timers, and commands arrive as reactor tasks.
/// Reached only through a `LoopBound`, i.e. on the reactor thread.
final class ProcessSupervisor {
    /// How often exits are polled when a child has no pidfd, and orphan groups are swept.
    static let pollInterval: UInt64 = 20_000_000
    /// After shutdown's SIGKILLs, how long to wait for children that will not die.
    static let shutdownPatience: UInt64 = 2_000_000_000
    /// How long a finished run's process group is swept for orphans (with `reapOrphans`).
    static let orphanPatience: UInt64 = 5_000_000_000
    private static let readChunk = 65_536
    /// Reads per descriptor per wake-up: a flooding child cannot starve the others.
    private static let readsPerWake = 8

    /// The supervisor lives inside the reactor's own structures (handlers, timers, tasks) and
    /// in the `ProcessReactor` that owns the reactor, so the reactor always outlives it.
    unowned let reactor: Reactor
    let configuration: ProcessReactor.Configuration
    /// Children are spawned here, on the reactor thread, never on the thread asking for a run.
    let spawner: ProcessSpawner
    let accounting: ProcessRunAccounting
    var runs: [UInt64: ChildRun] = [:]
    /// Process groups whose stragglers may still need reaping (only with `reapOrphans`), with
    /// the time to give up on each.
    var orphanGroups: [pid_t: UInt64] = [:]
    var orphanSweepScheduled = false
    private(set) var shuttingDown = false
    private var readBuffer = [UInt8](repeating: 0, count: ProcessSupervisor.readChunk)

    init(reactor: Reactor, configuration: ProcessReactor.Configuration, spawner: ProcessSpawner,
         accounting: ProcessRunAccounting) {
        self.reactor = reactor
        self.configuration = configuration
        self.spawner = spawner
        self.accounting = accounting
    }

    /// Writing to a child's closed stdin raises SIGPIPE on the writing thread; blocked on the
    /// reactor thread, the write fails with EPIPE instead, whatever the process-wide disposition.
    static func blockPipeSignal() {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
    }

    // MARK: Commands (reactor tasks)

    func register(_ registration: RunRegistration) {
        guard !shuttingDown else {
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

    func cancel(_ id: UInt64, grace: Duration) {
        guard let run = runs[id], run.stopRequest == nil else { return }
        stop(run, .cancelled, grace: grace)
    }

    /// Kills every group at once; the reactor stops when the last run is finished, or after
    /// `shutdownPatience` for children that would not die.
    func beginShutdown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        guard !runs.isEmpty else { return reactor.stop() }
        reactor.schedule(at: reactor.now + Self.shutdownPatience) { self.abandonRemaining() }
        for run in runs.values { stop(run, .shutdown, grace: .zero) }
    }

    /// Ends a run for which nothing was spawned.
    private func abandon(_ registration: RunRegistration, _ outcome: AgentOutcome) {
        accounting.activeRuns.subtract(1, ordering: .relaxed)
        accounting.release(userID: registration.userID)
        registration.output.finish(outcome)
    }

    /// Starts watching a just-spawned child: its pipes, its pidfd (or an exit poll), and the
    /// stdin document.
    private func watch(_ run: ChildRun) {
        runs[run.id] = run
        watch(run, .stdout, Epoll.input)
        watch(run, .stderr, Epoll.input)
        if run.descriptors[.pidfd].isOpen {
            watch(run, .pidfd, Epoll.input)
        } else {
            scheduleExitPoll(run)
        }
        writeStdin(run)
        if run.descriptors[.stdin].isOpen { watch(run, .stdin, Epoll.output) }
    }

    private func watch(_ run: ChildRun, _ slot: ChildDescriptors.Slot, _ events: UInt32) {
        let fd = run.descriptors[slot].fd
        guard fd >= 0 else { return }
        do {
            run.descriptors[slot].token = try reactor.register(
                fd: fd, events: events, handler: ChildDescriptorHandler(slot: slot, run: run, supervisor: self))
        } catch {
            configuration.logger.error("cannot watch an agent's descriptor: \(error)")
        }
    }

    /// A registered descriptor of `run` is ready.
    func descriptorReady(_ slot: ChildDescriptors.Slot, of run: ChildRun) {
        switch slot {
        case .stdin: writeStdin(run)
        case .stdout: readStdout(run)
        case .stderr: readStderr(run)
        case .pidfd: childMayHaveExited(run)
        }
    }

    // MARK: Stopping and timers

    /// SIGTERM to the whole group, SIGKILL when `grace` has passed (at once for a zero grace).
    private func stop(_ run: ChildRun, _ request: ChildRun.StopRequest, grace: Duration) {
        if run.stopRequest == nil { run.stopRequest = request }
        run.killedByReactor = true
        if grace <= .zero {
            signalGroup(run, SIGKILL)
        } else {
            signalGroup(run, SIGTERM)
            requestKill(run, at: reactor.now + UInt64(max(0, grace.nanoseconds)))
        }
    }

    /// SIGKILL the group at `deadline` unless an earlier kill is already due.
    private func requestKill(_ run: ChildRun, at deadline: UInt64) {
        guard deadline < run.timers.killDeadline ?? .max else { return }
        if let timer = run.timers.killTimer { reactor.cancel(timer) }
        run.timers.killDeadline = deadline
        run.timers.killTimer = reactor.schedule(at: deadline) {
            run.timers.killTimer = nil
            run.timers.killDeadline = nil
            guard self.runs[run.id] === run else { return }
            run.killedByReactor = true
            self.signalGroup(run, SIGKILL)
        }
    }

    /// After the agent's final event it gets `exitGraceAfterTerminal` to exit on its own.
    private func requestExitGraceIfTerminal(_ run: ChildRun) {
        guard run.terminal != nil, !run.timers.exitGraceRequested else { return }
        run.timers.exitGraceRequested = true
        requestKill(run, at: reactor.now + UInt64(max(0, configuration.exitGraceAfterTerminal.nanoseconds)))
    }

    /// Without a pidfd nothing reports the exit: look every `pollInterval`.
    private func scheduleExitPoll(_ run: ChildRun) {
        run.timers.exitPoll = reactor.schedule(at: reactor.now + Self.pollInterval) {
            run.timers.exitPoll = nil
            guard self.runs[run.id] === run else { return }
            self.childMayHaveExited(run)
            if self.runs[run.id] === run { self.scheduleExitPoll(run) }
        }
    }

    // MARK: Pipes

    private func writeStdin(_ run: ChildRun) {
        let fd = run.descriptors[.stdin].fd
        guard fd >= 0 else { return }
        while !run.stdin.isDone {
            let written = run.stdin.pending.withUnsafeBytes { bytes in
                write(fd, bytes.baseAddress! + run.stdin.offset, bytes.count - run.stdin.offset)
            }
            if written > 0 { run.stdin.offset += written; continue }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && errno == EAGAIN { return } // EPOLLOUT will call again
            if written < 0 && errno == EPIPE { discardPendingPipeSignal() }
            break // EPIPE or another error: the child does not read its input; not a failure
        }
        closeDescriptor(run, .stdin)
        run.stdin.pending = []
    }

    func readStdout(_ run: ChildRun) {
        let ended = readPipe(run, .stdout) { bytes in
            guard run.consumeStdout(bytes) else { return false }
            requestExitGraceIfTerminal(run)
            return true
        }
        switch ended {
        case .open:
            return
        case .fault:
            abortForFault(run)
        case .endOfFile:
            // The child closed stdout, usually by exiting.
            if !run.flushPartialLine() { abortForFault(run); return }
            requestExitGraceIfTerminal(run)
            closeDescriptor(run, .stdout)
            if !run.descriptors[.pidfd].isOpen { childMayHaveExited(run) }
        }
    }

    func readStderr(_ run: ChildRun) {
        let ended = readPipe(run, .stderr) { bytes in
            run.stderr.append(bytes)
            return true
        }
        if ended == .endOfFile { closeDescriptor(run, .stderr) }
    }

    /// How a burst of reads from a child's pipe ended.
    enum PipeReadEnd { case open, endOfFile, fault }

    /// Reads up to `readsPerWake` chunks from the child's `pipe` (one wake-up must not starve the
    /// other children), handing each to `consume`, which returns false on a protocol fault.
    /// EOF and read errors both end the pipe.
    private func readPipe(_ run: ChildRun, _ pipe: ChildDescriptors.Slot,
                          _ consume: (UnsafeRawBufferPointer) -> Bool) -> PipeReadEnd {
        for _ in 0..<Self.readsPerWake {
            let fd = run.descriptors[pipe].fd
            guard fd >= 0 else { return .open }
            let count = readBuffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                let ok = readBuffer.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                if !ok { return .fault }
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno == EAGAIN { return .open }
            return .endOfFile
        }
        return .open
    }

    /// A protocol fault: kill the whole group now and stop reading its stdout.
    private func abortForFault(_ run: ChildRun) {
        run.killedByReactor = true
        signalGroup(run, SIGKILL)
        closeDescriptor(run, .stdout)
    }

    // MARK: Helpers

    func signalGroup(_ run: ChildRun, _ signal: Int32) {
        // Only while the leader is unreaped: afterwards the group id could belong to someone else.
        if run.exit == nil { kill(-run.pid, signal) }
    }

    /// Deregisters and closes one of the run's descriptors (nothing if already closed).
    func closeDescriptor(_ run: ChildRun, _ slot: ChildDescriptors.Slot) {
        let watched = run.descriptors[slot]
        guard watched.isOpen else { return }
        if let token = watched.token { reactor.deregister(token) }
        close(watched.fd)
        run.descriptors[slot] = ChildDescriptors.Watched()
    }

    private func discardPendingPipeSignal() {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var noWait = timespec()
        _ = sigtimedwait(&pipeSignal, nil, &noWait)
    }
}

/// One descriptor of one child, registered with the reactor: tells the supervisor it is ready.
final class ChildDescriptorHandler: ReactorHandler {
    let slot: ChildDescriptors.Slot
    let run: ChildRun
    let supervisor: ProcessSupervisor

    init(slot: ChildDescriptors.Slot, run: ChildRun, supervisor: ProcessSupervisor) {
        self.slot = slot
        self.run = run
        self.supervisor = supervisor
    }

    func reactorEvents(_ events: UInt32, _ reactor: Reactor) {
        supervisor.descriptorReady(slot, of: run)
    }
}
