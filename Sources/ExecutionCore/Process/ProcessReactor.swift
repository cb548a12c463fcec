#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization
import VisibleLocks

/// Runs process agents: spawns children (`ProcessSpawner`) and watches all of them from ONE
/// thread with `epoll` (stdout lines, stderr tail, stdin feeding, exit via pidfd), so a thousand
/// runs cost a thousand descriptors, not a thousand threads. No SIGCHLD handler is installed:
/// exits are seen through pidfds (or a 20 ms `waitid` poll where pidfds are missing), and every
/// child is reaped by pid.
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

        public init(prlimitPath: String = "/usr/bin/prlimit", exitGraceAfterTerminal: Duration = .seconds(2),
                    reapOrphans: Bool = getpid() == 1, logger: Logger = Logger(label: "isolationd.agents")) {
            self.prlimitPath = prlimitPath
            self.exitGraceAfterTerminal = exitGraceAfterTerminal
            self.reapOrphans = reapOrphans
            self.logger = logger
        }
    }

    public let configuration: Configuration
    let mailbox: ReactorMailbox
    let spawner: ProcessSpawner
    private let thread: VisibleMutex<pthread_t?>

    public init(configuration: Configuration = .init()) throws(ProcessReactorError) {
        guard let epoll = LinuxEpoll.shared else { throw ProcessReactorError("epoll is not available") }
        let epollFD = epoll.create1(LinuxEpoll.closeOnExec)
        guard epollFD >= 0 else { throw ProcessReactorError("epoll_create1: \(SystemCalls.errorText(errno))") }
        let eventFD = epoll.eventFD(0, LinuxEpoll.closeOnExec | LinuxEpoll.nonBlocking)
        guard eventFD >= 0 else {
            close(epollFD)
            throw ProcessReactorError("eventfd: \(SystemCalls.errorText(errno))")
        }
        guard epoll.add(epollFD, fd: eventFD, events: LinuxEpoll.input, data: 0) else {
            close(epollFD)
            close(eventFD)
            throw ProcessReactorError("epoll_ctl: \(SystemCalls.errorText(errno))")
        }
        self.configuration = configuration
        self.mailbox = ReactorMailbox(eventFD: eventFD)
        self.spawner = ProcessSpawner(prlimitPath: configuration.prlimitPath)
        let loop = ReactorLoop(epoll: epoll, epollFD: epollFD, mailbox: mailbox, spawner: spawner,
                               configuration: configuration)
        var threadID = pthread_t()
        let context = Unmanaged.passRetained(ThreadBody(loop: loop)).toOpaque()
        let created = pthread_create(&threadID, nil, { context in
            guard let context else { return nil }
            let body = Unmanaged<ThreadBody>.fromOpaque(context).takeRetainedValue()
            body.loop.run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            close(epollFD)
            throw ProcessReactorError("pthread_create: \(SystemCalls.errorText(created))")
        }
        self.thread = VisibleMutex(threadID)
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
        guard !mailbox.isClosed else { throw AgentStartError("the process reactor is shut down") }
        try spawner.check(spec)
        var document = JSONValue.object(["context": request.context, "input": request.input]).serialized()
        document.append(0x0A)
        let id = mailbox.nextRunID.wrappingAdd(1, ordering: .relaxed).oldValue
        mailbox.activeRuns.add(1, ordering: .relaxed)
        let registration = RunRegistration(id: id, spec: spec, agent: request.agent, stdin: document,
                                           stdoutLimit: spec.stdoutLimitBytes, stderrKeep: spec.stderrKeepBytes,
                                           output: output, startedAt: SystemCalls.monotonicNanoseconds())
        guard mailbox.post(.register(registration)) else {
            // Shut down between the check and now: nothing was spawned.
            mailbox.activeRuns.subtract(1, ordering: .relaxed)
            throw AgentStartError("the process reactor is shut down")
        }
        return ProcessRunHandle(id: id, mailbox: mailbox)
    }

    /// Runs started and not yet over: waiting to be spawned, or a child not yet reaped.
    public var activeRuns: Int { mailbox.activeRuns.load(ordering: .relaxed) }

    /// Kills every agent process group (SIGKILL), reaps them, finishes their runs with kind
    /// "shutdown", and stops the thread. Idempotent; returns when the thread has ended.
    public func shutdown() {
        _ = mailbox.post(.shutdown)
        mailbox.close()
        let threadID = thread.withLock { value -> pthread_t? in
            defer { value = nil }
            return value
        }
        if let threadID, pthread_self() != threadID { pthread_join(threadID, nil) }
    }
}

/// The reactor could not be set up (no epoll, out of descriptors, no thread).
public struct ProcessReactorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Carries the loop into its thread (a raw pointer crosses the pthread boundary, not a Swift
/// reference, so no Sendable check applies; the loop is used only on that thread afterwards).
private final class ThreadBody {
    let loop: ReactorLoop
    init(loop: ReactorLoop) { self.loop = loop }
}

enum ReactorCommand: Sendable {
    case register(RunRegistration)
    case cancel(id: UInt64, grace: Duration)
    case shutdown
}

/// Commands from any thread to the reactor thread: a locked queue plus an eventfd wake-up.
final class ReactorMailbox: Sendable {
    private struct State {
        var commands: [ReactorCommand] = []
        var closed = false
    }

    let eventFD: Int32
    private let state = VisibleMutex(State())
    let activeRuns = Atomic<Int>(0)
    let nextRunID = Atomic<UInt64>(1)

    init(eventFD: Int32) { self.eventFD = eventFD }

    deinit { Glibc.close(eventFD) }

    /// Queues `command` and wakes the thread; false once closed.
    func post(_ command: ReactorCommand) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.commands.append(command)
            return true
        }
        if accepted {
            var one: UInt64 = 1
            _ = write(eventFD, &one, 8)
        }
        return accepted
    }

    func take() -> [ReactorCommand] {
        state.withLock { state in
            defer { state.commands.removeAll() }
            return state.commands
        }
    }

    func close() { state.withLock { $0.closed = true } }
    var isClosed: Bool { state.withLock { $0.closed } }
}

/// Cancels one process run: SIGTERM to its group now, SIGKILL after the grace period.
struct ProcessRunHandle: AgentRunHandle {
    let id: UInt64
    let mailbox: ReactorMailbox
    func cancel(gracePeriod: Duration) { _ = mailbox.post(.cancel(id: id, grace: gracePeriod)) }
}
