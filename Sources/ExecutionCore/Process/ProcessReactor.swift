#if canImport(Glibc)
import Glibc
#endif
import Logging
import Platform
import Synchronization
import VisibleLocks

/// Runs process agents: spawns children (`ProcessSpawner`) and watches all of them from ONE
/// reactor thread (stdout lines, stderr tail, stdin feeding, exit via pidfd), so a thousand runs
/// cost a thousand descriptors, not a thousand threads. No SIGCHLD handler is installed: exits
/// are seen through pidfds (or a 20 ms `waitid` poll where pidfds are missing), and every child
/// is reaped by pid. The reactor thread's state is a `ProcessSupervisor`; this is its handle.
///
/// Output callbacks (`progress`, `finish`) are called on the reactor thread and must be quick.
public final class ProcessReactor: Sendable {
    public struct Configuration: Sendable {
        /// prlimit(1), used to apply resource limits (see `ProcessSpawner`).
        public var prlimitPath: String
        /// After an agent's final event, how long it may take to exit before its group is killed.
        public var exitGraceAfterTerminal: Duration
        /// Reap killed stragglers of agent process groups. Needed when this process is PID 1 (or
        /// set as a child subreaper), where orphans of agents become our children; off otherwise.
        public var reapOrphans: Bool
        public var logger: Logger
        /// Exits are watched through pidfds where the kernel has them; off, every child's exit is
        /// polled with `waitid` every 20 ms, as on a kernel without pidfds (tests use it so).
        var watchesExitsWithPidfds = true
        /// setpriv(1), which gives every agent a parent-death signal (SIGKILL); without it agents
        /// are started without one, and the reactor logs a warning once.
        public var setprivPath = "/usr/bin/setpriv"
        /// Agent processes one user may have at once, across engines (nil: no cap). A run past it
        /// fails at once with kind "process_limit". A process counts until it is reaped, so
        /// children still dying after a cancel or an interrupt count too.
        public var maxProcessesPerUser: Int?

        public init(prlimitPath: String = "/usr/bin/prlimit", exitGraceAfterTerminal: Duration = .seconds(2),
                    reapOrphans: Bool = getpid() == 1, maxProcessesPerUser: Int? = nil,
                    logger: Logger = Logger(label: "isolationd.agents")) {
            self.maxProcessesPerUser = maxProcessesPerUser
            self.prlimitPath = prlimitPath
            self.exitGraceAfterTerminal = exitGraceAfterTerminal
            self.reapOrphans = reapOrphans
            self.logger = logger
        }
    }

    public let configuration: Configuration
    let spawner: ProcessSpawner
    private let reactor: Reactor
    private let supervisor: LoopBound<ProcessSupervisor>
    private let accounting = ProcessRunAccounting()
    /// True once `shutdown` has begun. `start` and `shutdown` queue their tasks while holding
    /// it, so no run's registration can reach the reactor after the shutdown command.
    private let closed = VisibleMutex(false)
    private let thread: ReactorThread

    public init(configuration: Configuration = .init()) throws(ProcessReactorError) {
        let reactor: Reactor
        do {
            reactor = try Reactor(name: "agents")
        } catch {
            throw ProcessReactorError("cannot set up the process reactor: \(error)")
        }
        var spawner = ProcessSpawner(prlimitPath: configuration.prlimitPath,
                                     opensPidfds: configuration.watchesExitsWithPidfds)
        if SystemCalls.isExecutableFile(configuration.setprivPath) {
            spawner.parentDeathPrefix = [configuration.setprivPath, "--pdeathsig", "KILL", "--"]
        } else {
            configuration.logger.warning("setpriv is missing: agents get no parent-death signal and could outlive a crashed server",
                                         metadata: ["setpriv": .string(configuration.setprivPath)])
        }
        self.configuration = configuration
        self.spawner = spawner
        self.reactor = reactor
        supervisor = LoopBound(ProcessSupervisor(reactor: reactor, configuration: configuration, spawner: spawner,
                                                 accounting: accounting),
                               on: reactor)
        do {
            thread = try ReactorThread.start(name: "agents") {
                ProcessSupervisor.blockPipeSignal()
                reactor.run()
            }
        } catch {
            throw ProcessReactorError("cannot start the process reactor thread: \(error)")
        }
    }

    deinit { shutdown() }

    /// Starts `spec` for `request`. A missing program, directory or prlimit is the caller's
    /// error at once (`ProcessSpawner.check`, a few `stat`s); the spawn itself (pipes, posix_spawn,
    /// the prlimit exec: about half a millisecond with the caller suspended) happens on the
    /// reactor thread, so the HTTP loop that asked for the run never waits for it. A spawn that
    /// fails there ends the run with kind "spawn_failed". stdin receives
    /// `{"context":…,"input":…}` + "\n".
    public func start(_ spec: ProcessAgentSpec, request: AgentRunRequest,
                      output: any AgentRunOutput) throws(AgentStartError) -> any AgentRunHandle {
        guard !closed.withLock({ $0 }) else { throw AgentStartError("the process reactor is shut down") }
        try spawner.check(spec)
        var document = JSONValue.object(["context": request.context, "input": request.input]).serialized()
        document.append(0x0A)
        let id = accounting.nextRunID.wrappingAdd(1, ordering: .relaxed).oldValue
        let registration = RunRegistration(id: id, spec: spec, agent: request.agent, userID: request.userID,
                                           stdin: document, stdoutLimit: spec.stdoutLimitBytes,
                                           stderrKeep: spec.stderrKeepBytes, output: output)
        guard accounting.admit(userID: request.userID, limit: configuration.maxProcessesPerUser) else {
            let limit = configuration.maxProcessesPerUser ?? 0
            throw AgentStartError("user \"\(request.userID)\" already has \(limit) agent processes, the most allowed at once "
                                  + "(engines.max_agent_processes_per_user); wait for a run to end", kind: "process_limit")
        }
        let accepted = closed.withLock { closed -> Bool in
            guard !closed else { return false }
            accounting.activeRuns.add(1, ordering: .relaxed)
            reactor.execute { [supervisor] in supervisor.value.register(registration) }
            return true
        }
        // Shut down between the check and now: nothing was spawned.
        guard accepted else {
            accounting.release(userID: request.userID)
            throw AgentStartError("the process reactor is shut down")
        }
        return ProcessRunHandle(id: id, reactor: reactor, supervisor: supervisor)
    }

    /// Runs started and not yet over: waiting to be spawned, or a child not yet reaped.
    public var activeRuns: Int { accounting.activeRuns.load(ordering: .relaxed) }

    /// The agent processes of `userID` now (counted against `maxProcessesPerUser`).
    public func processes(ofUser userID: String) -> Int { accounting.processes(of: userID) }

    /// Kills every agent process group (SIGKILL), reaps them, finishes their runs with kind
    /// "shutdown", and stops the thread. Idempotent; returns when the thread has ended (at once
    /// when called on the reactor thread itself, which cannot wait for itself).
    public func shutdown() {
        closed.withLock { closed in
            guard !closed else { return }
            closed = true
            reactor.execute { [supervisor] in supervisor.value.beginShutdown() }
        }
        thread.join()
    }
}

/// The reactor could not be set up (no epoll, out of descriptors, no thread).
public struct ProcessReactorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Cancels one process run: SIGTERM to its group now, SIGKILL after the grace period.
struct ProcessRunHandle: AgentRunHandle {
    let id: UInt64
    let reactor: Reactor
    let supervisor: LoopBound<ProcessSupervisor>

    func cancel(gracePeriod: Duration) {
        reactor.execute { [supervisor, id] in supervisor.value.cancel(id, grace: gracePeriod) }
    }
}
