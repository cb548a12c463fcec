import ExecutionAPI
import ExecutionCore
import HTTPServer
@testable import IsolationdConfiguration
import Logging
import Testing

@Suite("Configuration loading")
struct ConfigurationLoadingTests {
    /// Everything but `agents` equals the built-in defaults; the file declares the example agents
    /// (builtins plus the two process agents of config/agents) through agents.example.json.
    @Test("the shipped file is a valid instance whose values are the built-in defaults")
    func shippedFileEqualsDefaults() throws {
        let fromFile = try ServiceConfiguration.load(path: "\(packageRoot)/config/isolationd.json", environment: [:])
        let defaults = ServiceConfiguration()
        #expect(fromFile.server == defaults.server)
        #expect(fromFile.auth == defaults.auth)
        #expect(fromFile.service.contexts == defaults.service.contexts)
        #expect(fromFile.service.factory == defaults.service.factory)
        #expect(fromFile.service.engines == defaults.service.engines)
        #expect(fromFile.service.events == defaults.service.events)
        #expect(fromFile.service.streams == defaults.service.streams)
        #expect(fromFile.service.idempotency == defaults.service.idempotency)
        #expect(fromFile.logging == defaults.logging)
        #expect(fromFile.metrics == defaults.metrics)
        let builtins = defaults.service.agents.map(\.name)
        #expect(Array(fromFile.service.agents.map(\.name).prefix(builtins.count)) == builtins)
        #expect(fromFile.service.agents.map(\.name).contains("research"))
        #expect(fromFile.service.agents.map(\.name).contains("summarise"))
        guard case .object(var fileView) = fromFile.redacted, case .object(var defaultView) = defaults.redacted else {
            Issue.record("redacted views are not objects"); return
        }
        fileView["agents"] = nil
        defaultView["agents"] = nil
        #expect(fileView == defaultView)
    }

    @Test("the file's values are read, not only defaulted")
    func fileValuesAreRead() throws {
        let config = try ServiceConfiguration.parse("""
            {"server": {"port": 9191, "timeouts": {"idle_seconds": 1.5}, "tls": {"cert_file": "/c.pem", "key_file": "/k.pem"}},
             "factory": {"max_engines_per_user": 7, "per_user_overrides": {"vip": 20}, "breaker": {"cooldown_seconds": 5}},
             "logging": {"level": "warning", "format": "json", "access_log": false},
             "agents": [{"name": "py", "kind": "process", "command": ["/usr/bin/python3", "agent.py"],
                         "environment": {"set": {"API_TOKEN": "s3cr3t"}}, "timeout_seconds": 12, "limits": {"cpu_seconds": 5}}]}
            """)
        #expect(config.server.port == 9191)
        #expect(config.server.timeouts.idleSeconds == 1.5)
        #expect(config.server.timeouts.requestHeadSeconds == 10)
        #expect(config.server.tls == ServerSettings.TLS(certificateFile: "/c.pem", privateKeyFile: "/k.pem"))
        #expect(config.service.factory.maxEnginesPerUser == 7)
        #expect(config.service.factory.engineLimit(for: "vip") == 20)
        #expect(config.service.factory.engineLimit(for: "someone") == 7)
        #expect(config.service.factory.breaker.cooldownSeconds == 5)
        #expect(config.logging.level == .warning)
        #expect(config.logging.format == .json)
        #expect(config.logging.accessLog == false)
        let agent = try #require(config.service.agents.first)
        #expect(agent.name == "py")
        #expect(agent.timeout == .seconds(12))
        guard case .process(let process) = agent.kind else {
            Issue.record("expected a process agent")
            return
        }
        #expect(process.command == ["/usr/bin/python3", "agent.py"])
        #expect(process.environment.set == ["API_TOKEN": "s3cr3t"])
        #expect(process.limits.cpuSeconds == 5)
        #expect(process.limits.addressSpaceBytes == nil)
        // The secret value never reaches the effective (logged) view.
        #expect(!config.redacted.serializedString().contains("s3cr3t"))
    }

    @Test("agents may come from a file named relative to the configuration's directory")
    func agentsFromFile() throws {
        let config = try ServiceConfiguration.load(path: "\(packageRoot)/config/isolationd.json",
                                                   environment: ["ISOLATIOND_AGENTS": "agents/agents.example.json"])
        #expect(config.service.agents.map(\.name) == ["echo", "tools", "sleep", "research", "summarise"])
        guard case .process(let research)? = config.service.agents.first(where: { $0.name == "research" })?.kind else {
            Issue.record("research is not a process agent")
            return
        }
        #expect(research.workingDirectory == "\(packageRoot)/config/agents")
    }

    @Test("missing sections take their defaults")
    func missingSections() throws {
        let config = try ServiceConfiguration.parse(#"{"server": {"port": 0}}"#)
        #expect(config.server.port == 0)
        #expect(config.service.factory == FactorySettings())
        #expect(config.auth.apiKeys.count == 2)
        #expect(config.auth.demoKeysActive)
        #expect(config.service.agents.map(\.name) == ["echo", "tools"])
    }

    @Test("the benchmark file is valid and sized for a long POST /v1/contexts run")
    func benchFile() throws {
        let bench = try ServiceConfiguration.load(path: "\(packageRoot)/config/bench.json", environment: [:])
        #expect(bench.service.contexts.maxPerUser >= 1_000_000)
        #expect(bench.service.contexts.maxTotal >= 2_000_000)
        #expect(bench.service.contexts.ttlSeconds <= 60)
        #expect(bench.logging.accessLog == false)
        #expect(bench.logging.level == .warning)
        #expect(bench.auth.apiKeys.map(\.userID).sorted() == ["demo-alice", "demo-bob"])
    }

    @Test("a missing file and a file that is not JSON are errors that name the file")
    func fileErrors() {
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration.load(path: "/nonexistent/isolationd.json", environment: [:])
        }
        do {
            _ = try ServiceConfiguration.load(path: "/nonexistent/isolationd.json", environment: [:])
        } catch {
            #expect(error.message.contains("/nonexistent/isolationd.json"))
        }
        let notJSON = configurationError("{\"server\": ")
        #expect(notJSON?.message.contains("is not valid JSON") == true)
        #expect(configurationError("[1, 2]")?.message == "the configuration must be a JSON object, not array")
    }

    @Test("the default path: option, then ISOLATIOND_CONFIG, then ./config, then /etc")
    func defaultPath() {
        #expect(ConfigurationFile.resolve(option: "/x.json", environment: ["ISOLATIOND_CONFIG": "/y.json"]) == "/x.json")
        #expect(ConfigurationFile.resolve(option: nil, environment: ["ISOLATIOND_CONFIG": "/y.json"]) == "/y.json")
        #expect(ConfigurationFile.resolve(option: nil, environment: [:], exists: { _ in true }) == "config/isolationd.json")
        #expect(ConfigurationFile.resolve(option: nil, environment: [:], exists: { _ in false }) == "/etc/isolationd/isolationd.json")
    }
}

@Suite("Configuration redaction")
struct ConfigurationRedactionTests {
    @Test("the effective view hides key hashes, the JWT secret and agent environment values")
    func secretsRedacted() throws {
        let secret = "an-hs256-secret-that-is-long-enough-0123456789"
        let config = try ServiceConfiguration.parse("""
            {"auth": {"mode": "api_keys_or_jwt", "jwt": {"algorithms": ["HS256"], "hs256_secret": "\(secret)"}},
             "agents": [{"name": "p", "kind": "process", "command": ["/bin/true"], "environment": {"set": {"TOKEN": "agent-token-value"}}}]}
            """)
        let text = config.redacted.serializedString()
        #expect(!text.contains(secret))
        #expect(!text.contains("agent-token-value"))
        for key in DemoAPIKeys.all { #expect(!text.contains(key.sha256)) }
        #expect(config.redacted["auth"]?["jwt"]?["hs256_secret"] == .string("<redacted>"))
        #expect(config.redacted["auth"]?["api_keys"]?.arrayValue?.first?["sha256"] == .string("<redacted>"))
        #expect(config.redacted["auth"]?["api_keys"]?.arrayValue?.first?["user_id"] == .string("demo-alice"))
        // Not secret, and useful to see.
        #expect(config.redacted["server"]?["port"] == .integer(8080))
        #expect(config.redacted["server"]?["timeouts"]?["idle_seconds"] == .integer(60))
        #expect(config.auth.jwt?.hs256Secret == secret)
    }

    @Test("the effective view shows environment overrides and every default")
    func effectiveView() throws {
        let config = try ServiceConfiguration.parse("{}", environment: ["ISOLATIOND_PORT": "9000"])
        #expect(config.redacted["server"]?["port"] == .integer(9000))
        #expect(config.redacted["factory"]?["breaker"]?["failure_threshold"] == .integer(5))
        #expect(config.redacted["server"]?["tls"] == .null)
        let sections = Set(config.redacted.objectValue?.keys.map { $0 } ?? [])
        #expect(sections == ["server", "auth", "contexts", "factory", "engines", "events", "streams", "idempotency", "budgets",
                             "agents", "logging", "metrics", "database"])
    }
}
