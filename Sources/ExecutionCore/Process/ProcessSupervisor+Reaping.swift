#if canImport(Glibc)
import Glibc
#endif

/// Exit detection, reaping and the end of a run. Reactor thread only.
extension ProcessSupervisor {
    /// Reaps the child if it has exited, then finishes the run. The group is killed *before*
    /// reaping: while the exited leader is unreaped its pid (the group id) cannot be reused, so
    /// the SIGKILL can only reach this run's stragglers.
    func childMayHaveExited(_ run: ChildRun) {
        guard run.exit == nil else { return }
        switch exitState(run.pid) {
        case .running:
            return
        case .zombie:
            kill(-run.pid, SIGKILL)
            var status: Int32 = 0
            var reaped: pid_t
            repeat { reaped = waitpid(run.pid, &status, WNOHANG) } while reaped < 0 && errno == EINTR
            if reaped == run.pid { run.exit = ChildExit(waitStatus: status) }
        case .gone:
            // Reaped by someone else (a stray waitpid(-1) elsewhere in the process): the status
            // is lost and the pid may already be reused, so nothing is signalled.
            break
        }
        // Everything the leader wrote is in the pipes now; take it before deciding.
        readStdout(run)
        readStderr(run)
        if run.descriptors[.stdout].isOpen, !run.flushPartialLine() { run.killedByReactor = true }
        finish(run)
    }

    private enum ExitState { case running, zombie, gone }

    /// Whether `pid` has exited (a zombie, not yet reaped), without reaping it.
    private func exitState(_ pid: pid_t) -> ExitState {
        var info = siginfo_t()
        var result: Int32
        repeat { result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) } while result < 0 && errno == EINTR
        if result != 0 { return .gone }
        return info._sifields._kill.si_pid == pid ? .zombie : .running
    }

    /// Closes what is left of the run, cancels its timers, and reports its outcome. When the
    /// supervisor is shutting down, the last run to finish stops the reactor.
    func finish(_ run: ChildRun) {
        for slot in ChildDescriptors.Slot.allCases { closeDescriptor(run, slot) }
        if let timer = run.timers.killTimer { reactor.cancel(timer) }
        if let timer = run.timers.exitPoll { reactor.cancel(timer) }
        run.timers = ChildTimers()
        runs.removeValue(forKey: run.id)
        if configuration.reapOrphans {
            orphanGroups[run.pid] = reactor.now + Self.orphanPatience
            scheduleOrphanSweep()
        }
        let outcome = run.outcome()
        if case .failed(let kind, let message) = outcome, kind != "cancelled", kind != "shutdown" {
            configuration.logger.warning("process agent failed", metadata: [
                "agent": .string(run.agent), "kind": .string(kind), "message": .string(message),
                "stderr": .string(String(decoding: run.stderr.bytes, as: UTF8.self))])
        }
        accounting.activeRuns.subtract(1, ordering: .relaxed)
        accounting.release(userID: run.userID)
        run.output.finish(outcome)
        if shuttingDown && runs.isEmpty { reactor.stop() }
    }

    /// With `reapOrphans` (this process is PID 1 or a subreaper), a group's killed stragglers
    /// become our children: reap them by group, every `pollInterval`, until none is left.
    func scheduleOrphanSweep() {
        guard !orphanSweepScheduled, !orphanGroups.isEmpty else { return }
        orphanSweepScheduled = true
        reactor.schedule(at: reactor.now + Self.pollInterval) {
            self.orphanSweepScheduled = false
            self.sweepOrphanGroups(now: self.reactor.now)
            self.scheduleOrphanSweep()
        }
    }

    private func sweepOrphanGroups(now: UInt64) {
        for (group, giveUpAt) in orphanGroups {
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(-group, &status, WNOHANG) } while result > 0 || (result < 0 && errno == EINTR)
            if result < 0 || now >= giveUpAt { orphanGroups.removeValue(forKey: group) }
        }
    }

    /// At the shutdown deadline, runs whose child would not die are reported and dropped.
    func abandonRemaining() {
        for run in Array(runs.values) {
            configuration.logger.error("process agent did not exit after SIGKILL", metadata: ["pid": .stringConvertible(run.pid)])
            finish(run)
        }
    }
}
