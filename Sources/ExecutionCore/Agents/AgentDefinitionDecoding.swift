#if canImport(Glibc)
import Glibc
#endif

extension AgentDefinition {
    /// Decodes the config's "agents" array. Relative paths (command, working directory) are
    /// resolved against `baseDirectory` (the config file's directory; itself made absolute
    /// against the current directory if relative). Names must be unique.
    public static func decodeList(_ json: JSONValue, baseDirectory: String) throws(AgentConfigError) -> [AgentDefinition] {
        let baseDirectory = ProcessAgentSpec.absoluteDirectory(baseDirectory)
        guard let items = json.arrayValue else {
            throw AgentConfigError(entry: "agents", field: "", message: "must be an array, got \(json.typeName)")
        }
        var definitions: [AgentDefinition] = []
        var seen: Set<String> = []
        for (index, item) in items.enumerated() {
            let definition = try decode(item, index: index, baseDirectory: baseDirectory)
            guard seen.insert(definition.name).inserted else {
                throw AgentConfigError(entry: "agents[\(index)] (\"\(definition.name)\")", field: "name",
                                       message: "duplicate agent name")
            }
            definitions.append(definition)
        }
        return definitions
    }

    /// Decodes one entry; `index` is its position, for error messages.
    public static func decode(_ json: JSONValue, index: Int, baseDirectory: String) throws(AgentConfigError) -> AgentDefinition {
        var entry = "agents[\(index)]"
        let reader = try AgentConfigReader(json, entry: entry)
        let name = try reader.requiredString("name")
        guard isValidName(name) else {
            throw reader.fail("name", "must be 1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit")
        }
        entry += " (\"\(name)\")"
        let named = try AgentConfigReader(json, entry: entry)
        let description = try named.string("description") ?? ""
        let timeout = try named.seconds("timeout_seconds", maximum: 86_400)
        let kindName = try named.requiredString("kind")
        switch kindName {
        case "builtin":
            try named.refuseUnknown(allowed: ["name", "kind", "description", "timeout_seconds", "builtin"])
            let builtinName = try named.string("builtin") ?? name
            guard let builtin = BuiltinAgent(rawValue: builtinName) else {
                throw named.fail("builtin", "unknown builtin \"\(builtinName)\" (known: \(BuiltinAgent.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return AgentDefinition(name: name, kind: .builtin(builtin), description: description, timeout: timeout)
        case "process":
            try named.refuseUnknown(allowed: ["name", "kind", "description", "timeout_seconds", "command",
                                              "working_directory", "environment", "limits",
                                              "stdout_limit_bytes", "stderr_keep_bytes"])
            let spec = try ProcessAgentSpec.decode(named, baseDirectory: baseDirectory)
            return AgentDefinition(name: name, kind: .process(spec), description: description, timeout: timeout)
        default:
            throw named.fail("kind", "must be \"builtin\" or \"process\", got \"\(kindName)\"")
        }
    }
}

extension ProcessAgentSpec {
    static func decode(_ reader: AgentConfigReader, baseDirectory: String) throws(AgentConfigError) -> ProcessAgentSpec {
        guard var command = try reader.stringArray("command"), let program = command.first, !program.isEmpty else {
            throw reader.fail("command", "is required: a non-empty array of strings, the program first")
        }
        guard program.contains("/") else {
            throw reader.fail("command", "the program must be a path (absolute, or relative to the config directory), got \"\(program)\"")
        }
        for (index, argument) in command.enumerated() where argument.utf8.contains(0) {
            throw reader.fail("command[\(index)]", "must not contain a NUL byte")
        }
        command[0] = resolve(program, against: baseDirectory)
        let workingDirectory = resolve(try reader.string("working_directory") ?? ".", against: baseDirectory)

        var environment = ProcessEnvironment()
        if let env = try reader.nested("environment") {
            try env.refuseUnknown(allowed: ["inherit", "set"])
            environment.inherit = try env.stringArray("inherit") ?? []
            for name in environment.inherit where !ProcessEnvironment.isValidName(name) {
                throw env.fail("inherit", "\"\(name)\" is not a valid variable name")
            }
            if let set = try env.nested("set") {
                for (name, value) in set.object {
                    guard ProcessEnvironment.isValidName(name) else { throw set.fail(name, "is not a valid variable name") }
                    guard let string = value.stringValue, !string.utf8.contains(0) else {
                        throw set.fail(name, "must be a string without NUL bytes")
                    }
                    environment.set[name] = string
                }
            }
        }

        var limits = ProcessResourceLimits()
        if let limitsReader = try reader.nested("limits") {
            try limitsReader.refuseUnknown(allowed: ["cpu_seconds", "address_space_bytes", "open_files", "processes"])
            limits.cpuSeconds = try limitsReader.integer("cpu_seconds", in: 1...86_400)
            limits.addressSpaceBytes = try limitsReader.integer("address_space_bytes", in: 16_777_216...(1 << 48))
            limits.openFiles = try limitsReader.integer("open_files", in: 8...1_048_576)
            limits.processes = try limitsReader.integer("processes", in: 1...1_048_576)
        }
        let stdoutLimit = try reader.integer("stdout_limit_bytes", in: 1024...(1 << 30)) ?? 1_048_576
        let stderrKeep = try reader.integer("stderr_keep_bytes", in: 0...(1 << 24)) ?? 8192
        return ProcessAgentSpec(command: command, workingDirectory: workingDirectory, environment: environment,
                                limits: limits, stdoutLimitBytes: stdoutLimit, stderrKeepBytes: stderrKeep)
    }

    /// `path` made absolute against the current directory.
    static func absoluteDirectory(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return resolve(path, against: cwd)
    }

    static func resolve(_ path: String, against base: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "." { return base }
        let trimmedBase = base.hasSuffix("/") ? String(base.dropLast()) : base
        let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return trimmedBase.isEmpty ? "/" + relative : trimmedBase + "/" + relative
    }
}
