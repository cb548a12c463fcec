#if canImport(Glibc)
import Glibc
#endif
import Platform

/// A child just started by `ProcessSpawner`: its pid (also its process group id) and the
/// parent's ends of its three pipes, all non-blocking and close-on-exec.
struct SpawnedChild: Sendable {
    var pid: pid_t
    /// Readable when the child exits; -1 when the kernel has no pidfd (before Linux 5.3).
    var pidFD: Int32
    var stdinFD: Int32
    var stdoutFD: Int32
    var stderrFD: Int32
}

/// Starts agent processes with `posix_spawn`:
/// - own process group (`POSIX_SPAWN_SETPGROUP`, pgid = pid), so cancel can signal the whole tree;
/// - signal mask emptied and every signal's disposition reset (`SETSIGMASK`, `SETSIGDEF`): an
///   ignored SIGPIPE or a blocked SIGTERM in the server must not leak into agents;
/// - stdin/stdout/stderr are pipes; every other descriptor is closed (`addclosefrom_np(3)`), so
///   sockets of other users' connections never reach an agent even if opened without CLOEXEC;
/// - working directory set in the child (`addchdir_np`) — never a process-wide chdir;
/// - environment exactly the spec's (`envp`), nothing inherited implicitly;
/// - resource limits: the child is started through `prlimit(1)` (util-linux), which sets
///   RLIMIT_CPU/AS/NOFILE/NPROC on itself and then execs the agent. `setrlimit` cannot be called
///   between fork and exec from Swift, and setting limits from the parent after `posix_spawn`
///   returns would race with the agent already running; an exec wrapper applies them before the
///   first instruction of the agent, at the cost of one extra exec (about half a millisecond);
/// - a parent-death signal: first of all the child execs `setpriv --pdeathsig KILL` (util-linux),
///   so an agent never outlives a crashed server (the kernel kills it when the spawning thread,
///   the agents reactor, dies); the setting survives the later execs.
struct ProcessSpawner: Sendable {
    /// Where `prlimit(1)` lives; checked when a spec with limits is used.
    let prlimitPath: String
    /// `setpriv --pdeathsig KILL --`, or empty when setpriv(1) is missing (the reactor logs it).
    var parentDeathPrefix: [String] = []
    /// Whether children get a pidfd (off only to exercise the `waitid` poll in tests).
    var opensPidfds = true
    /// Attempts for a spawn that fails with ETXTBSY (waits 1, 2, 4, 8 ms in between).
    static let busyRetries = 5

    /// What would stop `spec` from starting on this host: a missing program, working directory
    /// or prlimit. A few `stat` calls, cheap enough for the caller's thread, so such runs fail at
    /// once with a clear reason; `spawn` checks again (the files may change in between).
    func check(_ spec: ProcessAgentSpec) throws(AgentStartError) {
        guard let program = spec.command.first, SystemCalls.isExecutableFile(program) else {
            throw AgentStartError("cannot run \"\(spec.command.first ?? "")\": not an executable file")
        }
        guard SystemCalls.isDirectory(spec.workingDirectory) else {
            throw AgentStartError("working directory \"\(spec.workingDirectory)\" does not exist")
        }
        if !spec.limits.isEmpty, !SystemCalls.isExecutableFile(prlimitPath) {
            throw AgentStartError("resource limits need \(prlimitPath) (util-linux), which is missing")
        }
    }

    func spawn(_ spec: ProcessAgentSpec) throws(AgentStartError) -> SpawnedChild {
        try check(spec)
        var argv = spec.command
        if !spec.limits.isEmpty {
            argv = [prlimitPath] + spec.limits.prlimitArguments + ["--"] + spec.command
        }
        argv = parentDeathPrefix + argv
        let environment = spec.environment.entries(lookup: SystemCalls.environmentValue)

        var pipes = PipeSet()
        defer { pipes.closeAll() }
        guard pipes.open() else {
            throw AgentStartError("cannot create pipes: \(SystemCalls.errorText(errno))")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipes.stdinRead, 0)
        posix_spawn_file_actions_adddup2(&actions, pipes.stdoutWrite, 1)
        posix_spawn_file_actions_adddup2(&actions, pipes.stderrWrite, 2)
        // Without addclosefrom (before glibc 2.34) close-on-exec alone keeps descriptors back.
        _ = PlatformCalls.spawnAddClosefrom(&actions, 3)
        switch PlatformCalls.spawnAddChdir(&actions, spec.workingDirectory) {
        case 0: break
        case ENOSYS: throw AgentStartError("this C library lacks posix_spawn_file_actions_addchdir_np (glibc 2.29+ needed)")
        case let code: throw AgentStartError("cannot set the working directory: \(SystemCalls.errorText(code))")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        sigdelset(&allSignals, SIGKILL)
        sigdelset(&allSignals, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)

        var pid: pid_t = 0
        var result: Int32 = 0
        // ETXTBSY: some process forked by another thread still holds the program open for
        // writing between its fork and its exec (close-on-exec closes it only then), or the file
        // is being replaced. It clears within milliseconds; retry a few times before failing.
        for attempt in 0..<Self.busyRetries {
            result = withCStringArray(argv) { cArgv in
                withCStringArray(environment) { cEnv in
                    posix_spawn(&pid, argv[0], &actions, &attributes, cArgv, cEnv)
                }
            }
            guard result == ETXTBSY, attempt + 1 < Self.busyRetries else { break }
            usleep(UInt32(1_000 << attempt))
        }
        guard result == 0 else {
            throw AgentStartError("posix_spawn \"\(spec.command[0])\" failed: \(SystemCalls.errorText(result))")
        }
        // The child is running with its own copies; the parent keeps only its ends.
        let child = SpawnedChild(pid: pid, pidFD: opensPidfds ? PlatformCalls.pidfdOpen(pid) : -1, stdinFD: pipes.takeStdinWrite(),
                                 stdoutFD: pipes.takeStdoutRead(), stderrFD: pipes.takeStderrRead())
        for fd in [child.stdinFD, child.stdoutFD, child.stderrFD] { PlatformCalls.setNonBlocking(fd) }
        return child
    }
}

/// The three pipes of a spawn; whatever is not taken by the parent is closed on scope exit.
private struct PipeSet {
    var stdinRead: Int32 = -1, stdinWrite: Int32 = -1
    var stdoutRead: Int32 = -1, stdoutWrite: Int32 = -1
    var stderrRead: Int32 = -1, stderrWrite: Int32 = -1

    mutating func open() -> Bool {
        guard let (a, b) = makePipe() else { return false }
        (stdinRead, stdinWrite) = (a, b)
        guard let (c, d) = makePipe() else { return false }
        (stdoutRead, stdoutWrite) = (c, d)
        guard let (e, f) = makePipe() else { return false }
        (stderrRead, stderrWrite) = (e, f)
        return true
    }

    private func makePipe() -> (Int32, Int32)? {
        guard let pipe = SystemCalls.makePipe() else { return nil }
        return (pipe.read, pipe.write)
    }

    mutating func takeStdinWrite() -> Int32 { defer { stdinWrite = -1 }; return stdinWrite }
    mutating func takeStdoutRead() -> Int32 { defer { stdoutRead = -1 }; return stdoutRead }
    mutating func takeStderrRead() -> Int32 { defer { stderrRead = -1 }; return stderrRead }

    mutating func closeAll() {
        for fd in [stdinRead, stdinWrite, stdoutRead, stdoutWrite, stderrRead, stderrWrite] where fd >= 0 { close(fd) }
        self = PipeSet()
    }
}

/// A NULL-terminated `char *[]` for the duration of `body`.
private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
