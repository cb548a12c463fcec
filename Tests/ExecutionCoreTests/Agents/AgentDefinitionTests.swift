import Testing
@testable import ExecutionCore

@Suite("Agent definitions from config")
struct AgentDefinitionTests {
    @Test("builtin and process entries decode; relative paths resolve against the config directory")
    func decodes() throws {
        let json = try JSONValue.parse(#"""
        [
          {"name": "echo", "kind": "builtin", "builtin": "echo"},
          {"name": "slow", "kind": "builtin", "builtin": "sleep", "timeout_seconds": 2.5, "description": "waits"},
          {"name": "tools", "kind": "builtin"},
          {"name": "research", "kind": "process", "description": "notes",
           "command": ["/usr/bin/python3", "-I", "agents/research.py"],
           "working_directory": "agents",
           "environment": {"inherit": ["LANG"], "set": {"MODE": "fast"}},
           "limits": {"cpu_seconds": 10, "address_space_bytes": 1073741824, "open_files": 64},
           "stdout_limit_bytes": 65536, "stderr_keep_bytes": 1024, "timeout_seconds": 20},
          {"name": "local", "kind": "process", "command": ["./bin/agent", "--flag"]}
        ]
        """#)
        let definitions = try AgentDefinition.decodeList(json, baseDirectory: "/etc/isolationd")
        #expect(definitions.map(\.name) == ["echo", "slow", "tools", "research", "local"])
        #expect(definitions[0].kind == .builtin(.echo))
        #expect(definitions[1].kind == .builtin(.sleep))
        #expect(definitions[1].timeout == .milliseconds(2500))
        #expect(definitions[2].kind == .builtin(.tools))
        guard case .process(let spec) = definitions[3].kind else { Issue.record("not a process agent"); return }
        #expect(spec.command == ["/usr/bin/python3", "-I", "agents/research.py"])
        #expect(spec.workingDirectory == "/etc/isolationd/agents")
        #expect(spec.environment == ProcessEnvironment(inherit: ["LANG"], set: ["MODE": "fast"]))
        #expect(spec.limits == ProcessResourceLimits(cpuSeconds: 10, addressSpaceBytes: 1 << 30, openFiles: 64))
        #expect(spec.stdoutLimitBytes == 65536 && spec.stderrKeepBytes == 1024)
        #expect(definitions[3].timeout == .seconds(20))
        guard case .process(let local) = definitions[4].kind else { Issue.record("not a process agent"); return }
        #expect(local.command == ["/etc/isolationd/bin/agent", "--flag"])
        #expect(local.workingDirectory == "/etc/isolationd")
        #expect(local.limits.isEmpty && local.stdoutLimitBytes == 1_048_576)
    }

    struct Refusal: Sendable, CustomStringConvertible {
        var json: String
        var entry: String
        var field: String
        var description: String { json }
    }

    static let refusals: [Refusal] = [
        Refusal(json: #"{"agents": 1}"#, entry: "agents", field: ""),
        Refusal(json: #"[{"kind": "builtin"}]"#, entry: "agents[0]", field: "name"),
        Refusal(json: #"[{"name": "bad name", "kind": "builtin"}]"#, entry: "agents[0]", field: "name"),
        Refusal(json: #"[{"name": "x", "kind": "remote"}]"#, entry: #"agents[0] ("x")"#, field: "kind"),
        Refusal(json: #"[{"name": "x", "kind": "builtin", "builtin": "nope"}]"#, entry: #"agents[0] ("x")"#, field: "builtin"),
        Refusal(json: #"[{"name": "echo", "kind": "builtin"}, {"name": "echo", "kind": "builtin", "builtin": "tools"}]"#, entry: #"agents[1] ("echo")"#, field: "name"),
        Refusal(json: #"[{"name": "p", "kind": "process"}]"#, entry: #"agents[0] ("p")"#, field: "command"),
        Refusal(json: #"[{"name": "p", "kind": "process", "command": []}]"#, entry: #"agents[0] ("p")"#, field: "command"),
        Refusal(json: #"[{"name": "p", "kind": "process", "command": ["python3"]}]"#, entry: #"agents[0] ("p")"#, field: "command"),
        Refusal(json: #"[{"name": "p", "kind": "process", "command": ["/bin/x", 3]}]"#, entry: #"agents[0] ("p")"#, field: "command[1]"),
        Refusal(json: #"[{"name": "p", "kind": "process", "command": ["/bin/x"], "limits": {"cpu_seconds": 0}}]"#, entry: #"agents[0] ("p")"#, field: "limits.cpu_seconds"),
        Refusal(json: #"[{"name": "p", "kind": "process", "command": ["/bin/x"], "limits": {"cpu_secs": 5}}]"#, entry: #"agents[0] ("p")"#, field: "limits.cpu_secs"),
        Refusal(json: #"[{"name": "p", "kind": "process", "command": ["/bin/x"], "limits": {"open_files": 1.5}}]"#, entry: #"agents[0] ("p")"#, field: "limits.open_files"),
        Refusal(json: #"[{"name": "p", "kind": "process", "command": ["/bin/x"], "environment": {"set": {"A=B": "x"}}}]"#, entry: #"agents[0] ("p")"#, field: "environment.set.A=B"),
        Refusal(json: #"[{"name": "p", "kind": "process", "command": ["/bin/x"], "environment": {"set": {"A": 1}}}]"#, entry: #"agents[0] ("p")"#, field: "environment.set.A"),
        Refusal(json: #"[{"name": "p", "kind": "process", "command": ["/bin/x"], "stdout_limit_bytes": 10}]"#, entry: #"agents[0] ("p")"#, field: "stdout_limit_bytes"),
        Refusal(json: #"[{"name": "p", "kind": "process", "command": ["/bin/x"], "timeout_seconds": -1}]"#, entry: #"agents[0] ("p")"#, field: "timeout_seconds"),
        Refusal(json: #"[{"name": "e", "kind": "builtin", "command": ["/bin/x"]}]"#, entry: #"agents[0] ("e")"#, field: "command"),
        Refusal(json: #"[[]]"#, entry: "agents[0]", field: ""),
    ]

    @Test("bad entries are refused naming the entry and the field", arguments: refusals)
    func refused(_ refusal: Refusal) throws {
        let json = try JSONValue.parse(refusal.json)
        let list = json["agents"] ?? json
        do {
            _ = try AgentDefinition.decodeList(list, baseDirectory: "/cfg")
            Issue.record("accepted \(refusal.json)")
        } catch {
            #expect(error.entry == refusal.entry)
            #expect(error.field == refusal.field)
            #expect(error.description.hasPrefix(refusal.entry))
        }
    }

    @Test("the shipped default config's agents decode")
    func shippedConfig() throws {
        let text = try #require(ProcInfo.readFile(packageRoot() + "/config/isolationd.json"))
        let config = try JSONValue.parse(text)
        // The default config names the example agents' file, relative to its own directory.
        let file = try #require(config["agents"]?.stringValue)
        let listed = try #require(ProcInfo.readFile(packageRoot() + "/config/" + file))
        let definitions = try AgentDefinition.decodeList(try JSONValue.parse(listed),
                                                         baseDirectory: packageRoot() + "/config")
        #expect(definitions.contains { $0.name == "echo" })
        #expect(definitions.contains { $0.name == "research" })
        #expect(definitions.contains { $0.name == "summarise" })
    }
}

/// The package root, from this source file's path (tests run from the package directory, but
/// do not rely on it).
func packageRoot(file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    while let last = parts.last, last != "Tests" { parts.removeLast() }
    parts.removeLast()
    return parts.joined(separator: "/")
}
