/// How to run one process agent (config: an "agents" entry with `"kind": "process"`).
/// Paths are absolute once decoded (relative ones in config are resolved against the config
/// directory), so nothing depends on the server's current directory.
public struct ProcessAgentSpec: Sendable, Hashable {
    /// argv. `command[0]` is an absolute path to an executable; no `PATH` search happens.
    public var command: [String]
    /// The child's current directory (absolute).
    public var workingDirectory: String
    /// The child's whole environment: nothing else from the server leaks into it.
    public var environment: ProcessEnvironment
    public var limits: ProcessResourceLimits
    /// Bytes of stdout accepted in total; one more and the run fails (`output_limit`), child killed.
    public var stdoutLimitBytes: Int
    /// The last bytes of stderr kept for logs and failure messages.
    public var stderrKeepBytes: Int

    public init(command: [String], workingDirectory: String, environment: ProcessEnvironment = .init(),
                limits: ProcessResourceLimits = .init(), stdoutLimitBytes: Int = 1_048_576,
                stderrKeepBytes: Int = 8192) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.limits = limits
        self.stdoutLimitBytes = max(1, stdoutLimitBytes)
        self.stderrKeepBytes = max(0, stderrKeepBytes)
    }
}

/// What a child process sees as its environment: the named server variables that exist, plus
/// fixed values (which win over inherited ones).
public struct ProcessEnvironment: Sendable, Hashable {
    /// Names copied from the server's environment when set there (e.g. "LANG", "TZ").
    public var inherit: [String]
    /// Fixed `NAME: value` pairs.
    public var set: [String: String]

    public init(inherit: [String] = [], set: [String: String] = [:]) {
        self.inherit = inherit
        self.set = set
    }

    /// "NAME=value" entries for `execve`, sorted by name. `lookup` reads the server's environment.
    public func entries(lookup: (String) -> String?) -> [String] {
        var values: [String: String] = [:]
        for name in inherit { if let value = lookup(name) { values[name] = value } }
        for (name, value) in set { values[name] = value }
        return values.keys.sorted().map { "\($0)=\(values[$0] ?? "")" }
    }

    /// A valid variable name: non-empty, no "=", no NUL.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.utf8.contains(UInt8(ascii: "=")) && !name.utf8.contains(0)
    }
}

/// Kernel resource limits set on the child before it runs (soft = hard). nil: inherited.
public struct ProcessResourceLimits: Sendable, Hashable {
    /// RLIMIT_CPU: CPU seconds; past it the kernel sends SIGXCPU (the run fails as `crashed`).
    public var cpuSeconds: Int?
    /// RLIMIT_AS: bytes of address space; allocations past it fail inside the child.
    public var addressSpaceBytes: Int?
    /// RLIMIT_NOFILE: open file descriptors.
    public var openFiles: Int?
    /// RLIMIT_NPROC: processes (threads included) of the agent's real user id, system-wide; a
    /// `fork` past it fails with EAGAIN. The kernel counts every process of that user, so this
    /// bounds one run only when agents run as a user of their own (the container's uid does);
    /// root (and CAP_SYS_RESOURCE) is not held to it.
    public var processes: Int?

    public init(cpuSeconds: Int? = nil, addressSpaceBytes: Int? = nil, openFiles: Int? = nil, processes: Int? = nil) {
        self.cpuSeconds = cpuSeconds
        self.addressSpaceBytes = addressSpaceBytes
        self.openFiles = openFiles
        self.processes = processes
    }

    public var isEmpty: Bool { cpuSeconds == nil && addressSpaceBytes == nil && openFiles == nil && processes == nil }

    /// prlimit(1) options for these limits ("--cpu=10", ...).
    var prlimitArguments: [String] {
        var out: [String] = []
        if let cpuSeconds { out.append("--cpu=\(cpuSeconds)") }
        if let addressSpaceBytes { out.append("--as=\(addressSpaceBytes)") }
        if let openFiles { out.append("--nofile=\(openFiles)") }
        if let processes { out.append("--nproc=\(processes)") }
        return out
    }
}
