/// One configured agent (an entry of the config's "agents" array).
public struct AgentDefinition: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Runs in-process; the associated value names the implementation (`BuiltinAgent`).
        case builtin(BuiltinAgent)
        /// A child process per run.
        case process(ProcessAgentSpec)
    }

    /// What runs are requested by: 1–64 of `A–Z a–z 0–9 _ . -`, starting with a letter or digit.
    public var name: String
    public var kind: Kind
    public var description: String
    /// This agent's run timeout; nil: the engine's default (`engines.run_timeout_seconds`).
    /// Enforced by the engine, which cancels the run (process group killed) when it passes.
    public var timeout: Duration?

    public init(name: String, kind: Kind, description: String = "", timeout: Duration? = nil) {
        self.name = name
        self.kind = kind
        self.description = description
        self.timeout = timeout
    }

    /// "builtin" or "process".
    public var kindName: String {
        switch kind {
        case .builtin: "builtin"
        case .process: "process"
        }
    }

    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        func isAlphanumeric(_ b: UInt8) -> Bool {
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
        }
        guard isAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }
}

/// The in-process agents, for smoke tests, benchmarks and timeout/cancel tests.
public enum BuiltinAgent: String, Sendable, Hashable, CaseIterable {
    /// thinking → completed with `{"echo": input}`.
    case echo
    /// thinking → (tool_executing → tool_completed) × 2 → thinking → completed, with real work
    /// (a note search and text statistics over `input.query`).
    case tools
    /// thinking, then waits `input.seconds` (default 1, at most 3600) on the clock → completed.
    case sleep
}

/// What `GET /v1/agents` shows of an agent: no command lines, paths or environment.
public struct AgentDescriptor: Sendable, Hashable {
    public var name: String
    /// "builtin" or "process".
    public var kind: String
    public var description: String
    public var timeoutSeconds: Double?

    public init(name: String, kind: String, description: String, timeoutSeconds: Double?) {
        self.name = name
        self.kind = kind
        self.description = description
        self.timeoutSeconds = timeoutSeconds
    }

    /// `{"name":…,"kind":…,"description":…,"timeout_seconds":…|null}`.
    public var json: JSONValue {
        .object(["name": .string(name), "kind": .string(kind), "description": .string(description),
                 "timeout_seconds": timeoutSeconds.map(JSONValue.double) ?? .null])
    }
}
