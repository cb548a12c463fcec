/// One entry of `agents`: a named agent the API can run, builtin or an external process.
public struct AgentSettings: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Runs inside the service (`echo`, `tools`): for smoke tests and benchmarks.
        case builtin(name: String)
        case process(ProcessAgent)
    }

    /// A command run per agent run, in its own process group, reading `{context, input}` on
    /// stdin and writing JSON-lines events on stdout.
    public struct ProcessAgent: Sendable, Equatable {
        /// argv; the first element is an absolute path or a name looked up in `PATH` of
        /// `environment` (never the service's own environment).
        public var command: [String]
        public var workingDirectory: String?
        /// The child's whole environment, besides the names in `passEnvironment`. Values are
        /// redacted in every view of the configuration.
        public var environment: [String: String] = [:]
        /// Names of the service's own environment variables copied into the child.
        public var passEnvironment: [String] = []
        /// Bytes of stdout accepted per run before it fails with "output_limit".
        public var maxOutputBytes = 1_048_576
        /// Bytes of stderr kept for the logs.
        public var maxStderrBytes = 65_536
        /// setrlimit values; nil leaves the service's own.
        public var cpuSeconds: Int?
        public var memoryBytes: Int?
        public var openFiles: Int?
        public var processes: Int?
        public init(command: [String]) { self.command = command }
    }

    /// 1 to 64 of `A-Z a-z 0-9 . _ -`, unique.
    public var name: String
    public var kind: Kind
    /// This agent's run timeout; nil: `engines.run_timeout_seconds`.
    public var runTimeoutSeconds: Double?

    public init(name: String, kind: Kind, runTimeoutSeconds: Double? = nil) {
        self.name = name
        self.kind = kind
        self.runTimeoutSeconds = runTimeoutSeconds
    }

    static let defaultList: [AgentSettings] = [
        AgentSettings(name: "echo", kind: .builtin(name: "echo")),
        AgentSettings(name: "tools", kind: .builtin(name: "tools")),
    ]

    static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        return !bytes.isEmpty && bytes.count <= 64 && bytes.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }
}

extension AgentSettings {
    init(reading a: inout ConfigObject) throws(ConfigurationError) {
        name = try a.string("name", default: "")
        guard AgentSettings.isValidName(name) else {
            throw a.error("name", "must be 1 to 64 characters of A-Z a-z 0-9 . _ -")
        }
        let kindName = try a.string("kind", default: "", oneOf: ["builtin", "process"])
        if let timeout = try a.optionalTimeout("timeout_seconds") { runTimeoutSeconds = timeout }
        if kindName == "builtin" {
            kind = .builtin(name: try a.string("builtin", default: name))
            return
        }
        let command = try a.stringArray("command", default: [])
        guard !command.isEmpty else { throw a.error("command", "must be a non-empty array of strings for a process agent") }
        var p = ProcessAgent(command: command)
        p.workingDirectory = try a.optionalString("working_directory")
        p.environment = try a.stringMap("environment", redactValues: true)
        p.passEnvironment = try a.stringArray("pass_environment", default: [], unique: true)
        p.maxOutputBytes = try a.int("max_output_bytes", default: p.maxOutputBytes, min: 1, max: 1 << 32)
        p.maxStderrBytes = try a.int("max_stderr_bytes", default: p.maxStderrBytes, min: 0, max: 1 << 32)
        try a.section("limits") { (l: inout ConfigObject) throws(ConfigurationError) in
            p.cpuSeconds = try l.optionalInt("cpu_seconds", min: 1)
            p.memoryBytes = try l.optionalInt("memory_bytes", min: 1 << 20)
            p.openFiles = try l.optionalInt("open_files", min: 3)
            p.processes = try l.optionalInt("processes", min: 1)
        }
        kind = .process(p)
    }
}

extension ConfigObject {
    /// An integer that may be absent or null.
    mutating func optionalInt(_ key: String, min: Int) throws(ConfigurationError) -> Int? {
        guard let present = optionalValue(key) else { return nil }
        guard case .integer(let raw) = present.integerLike, let int = Int(exactly: raw), int >= min else {
            throw error(key, "must be an integer >= \(min) or null")
        }
        record(key, .integer(raw))
        return int
    }

    /// A positive number of seconds that may be absent or null.
    mutating func optionalTimeout(_ key: String) throws(ConfigurationError) -> Double? {
        guard let present = optionalValue(key) else { return nil }
        guard let seconds = present.doubleValue, seconds.isFinite, seconds > 0, seconds <= 315_360_000 else {
            throw error(key, "must be a number of seconds > 0 or null")
        }
        record(key, ConfigObject.number(seconds))
        return seconds
    }
}
