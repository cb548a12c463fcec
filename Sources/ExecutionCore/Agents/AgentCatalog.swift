/// The configured agents: what engines run (`AgentProvider`) and what `GET /v1/agents` lists.
/// Built once at start from the config's "agents" array; immutable afterwards.
public final class AgentCatalog: AgentProvider {
    public let definitions: [AgentDefinition]
    /// The reactor running this catalog's process agents (nil when it has none).
    public let processReactor: ProcessReactor?
    private let ownsReactor: Bool
    private let runners: [String: any AgentRunner]
    private let timeouts: [String: Duration]

    /// - Parameters:
    ///   - processReactor: runs process agents; when nil and some are configured, the catalog
    ///     makes its own (stopped by `shutdown()`) with `processConfiguration`.
    ///   - clock: what the `sleep` builtin waits on (a manual clock in tests).
    public init(definitions: [AgentDefinition], processReactor: ProcessReactor? = nil,
                processConfiguration: ProcessReactor.Configuration = .init(),
                clock: any ExecutionClock = SystemClock()) throws(AgentConfigError) {
        var seen: Set<String> = []
        for (index, definition) in definitions.enumerated() {
            let entry = "agents[\(index)] (\"\(definition.name)\")"
            guard AgentDefinition.isValidName(definition.name) else {
                throw AgentConfigError(entry: entry, field: "name", message: "is not a valid agent name")
            }
            guard seen.insert(definition.name).inserted else {
                throw AgentConfigError(entry: entry, field: "name", message: "duplicate agent name")
            }
        }
        let hasProcessAgents = definitions.contains { if case .process = $0.kind { true } else { false } }
        var reactor = processReactor
        if hasProcessAgents && reactor == nil {
            do {
                reactor = try ProcessReactor(configuration: processConfiguration)
            } catch {
                throw AgentConfigError(entry: "agents", field: "", message: "cannot start the process reactor: \(error)")
            }
        }
        var runners: [String: any AgentRunner] = [:]
        var timeouts: [String: Duration] = [:]
        for (index, definition) in definitions.enumerated() {
            switch definition.kind {
            case .builtin(let builtin):
                runners[definition.name] = BuiltinAgentRunner(agent: builtin, clock: clock)
            case .process(let spec):
                guard let reactor else { continue }
                if let problem = spec.hostProblem(prlimitPath: reactor.configuration.prlimitPath) {
                    if processReactor == nil { reactor.shutdown() }
                    throw AgentConfigError(entry: "agents[\(index)] (\"\(definition.name)\")", field: problem.field,
                                           message: problem.message)
                }
                runners[definition.name] = ProcessAgentRunner(spec: spec, reactor: reactor)
            }
            if let timeout = definition.timeout { timeouts[definition.name] = timeout }
        }
        self.definitions = definitions
        self.processReactor = reactor
        self.ownsReactor = processReactor == nil && reactor != nil
        self.runners = runners
        self.timeouts = timeouts
    }

    /// Builds the catalog from the config's "agents" array (see `AgentDefinition.decodeList`).
    public convenience init(json: JSONValue, baseDirectory: String, processReactor: ProcessReactor? = nil,
                            clock: any ExecutionClock = SystemClock()) throws(AgentConfigError) {
        try self.init(definitions: AgentDefinition.decodeList(json, baseDirectory: baseDirectory),
                      processReactor: processReactor, clock: clock)
    }

    public func runner(named name: String) -> (any AgentRunner)? { runners[name] }

    public func runTimeout(forAgent name: String) -> Duration? { timeouts[name] }

    /// Every agent as listed by `GET /v1/agents`, in config order.
    public var descriptors: [AgentDescriptor] {
        definitions.map { definition in
            AgentDescriptor(name: definition.name, kind: definition.kindName, description: definition.description,
                            timeoutSeconds: definition.timeout.map(\.secondsDouble))
        }
    }

    /// Stops the reactor this catalog made itself (a reactor passed in belongs to the caller).
    public func shutdown() {
        if ownsReactor { processReactor?.shutdown() }
    }
}
