import ExecutionCore

/// The `agents` section. One parser for agent entries exists: the core's
/// (`AgentDefinition.decode`); this file only feeds it the raw entries and turns its errors into
/// key-path configuration errors, so `check-config` and `serve` refuse exactly the same entries.
///
/// The section is either the array of entries itself or a string naming a JSON file that holds
/// that array (relative to the configuration file's directory), e.g.
/// `ISOLATIOND_AGENTS=agents/agents.example.json` to add the example process agents.
enum AgentsSection {
    /// The built-in agents when the configuration names none.
    static let defaultEntries: [JSONValue] = [
        .object(["name": .string("echo"), "kind": .string("builtin"), "builtin": .string("echo")]),
        .object(["name": .string("tools"), "kind": .string("builtin"), "builtin": .string("tools")]),
    ]

    /// Decodes the section's value (nil: absent). Relative paths inside entries are resolved
    /// against `baseDirectory`. Returns the definitions and the effective view for the redacted
    /// configuration (environment values of process agents replaced by `"<redacted>"`).
    static func read(_ value: JSONValue?, baseDirectory: String) throws(ConfigurationError) -> ([AgentDefinition], JSONValue) {
        var source: JSONValue = value ?? .array(defaultEntries)
        var fileNote: JSONValue?
        if case .string(let path) = source {
            let resolved = path.hasPrefix("/") ? path : (baseDirectory.hasSuffix("/") ? baseDirectory : baseDirectory + "/") + path
            let bytes = try ConfigurationFile.read(resolved)
            do {
                source = try JSONValue.parse(bytes)
            } catch {
                throw ConfigurationError(keyPath: "agents", message: "agents names \(resolved), which is not valid JSON: \(error)")
            }
            fileNote = .string(path)
        }
        guard let entries = source.arrayValue else {
            throw ConfigurationError(keyPath: "agents", message: "agents must be an array of agent objects or the path of a JSON file holding one")
        }
        var definitions: [AgentDefinition] = []
        var names: [String: Int] = [:]
        var effective: [JSONValue] = []
        for (index, entry) in entries.enumerated() {
            let definition: AgentDefinition
            do {
                definition = try AgentDefinition.decode(entry, index: index, baseDirectory: baseDirectory)
            } catch {
                let keyPath = error.field.isEmpty ? "agents[\(index)]" : "agents[\(index)].\(error.field)"
                throw ConfigurationError(keyPath: keyPath, message: "\(keyPath) \(error.message)")
            }
            if let first = names[definition.name] {
                throw ConfigurationError(keyPath: "agents[\(index)].name",
                                         message: "agents[\(index)].name repeats \"\(definition.name)\" of agents[\(first)]")
            }
            names[definition.name] = index
            definitions.append(definition)
            effective.append(redacted(entry))
        }
        if let fileNote {
            return (definitions, .object(["file": fileNote, "entries": .array(effective)]))
        }
        return (definitions, .array(effective))
    }

    /// The entry with every `environment.set` value replaced (they may hold secrets).
    static func redacted(_ entry: JSONValue) -> JSONValue {
        guard case .object(var object) = entry, case .object(var environment)? = object["environment"],
              case .object(let set)? = environment["set"] else { return entry }
        environment["set"] = .object(set.mapValues { _ in .string(ConfigObject.redacted) })
        object["environment"] = .object(environment)
        return .object(object)
    }
}
