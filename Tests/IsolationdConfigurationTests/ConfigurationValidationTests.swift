import ExecutionAPI
@testable import IsolationdConfiguration
import Testing

/// One invalid document and the single message it must produce.
struct InvalidConfiguration: Sendable, CustomTestStringConvertible {
    var json: String
    var keyPath: String
    var message: String
    var testDescription: String { keyPath }
}

private let hexA = String(repeating: "a", count: 64)
private let demoAlice = DemoAPIKeys.alice.sha256

private let invalidConfigurations: [InvalidConfiguration] = [
    .init(json: #"{"factory": {"max_engines_per_user": 0}}"#, keyPath: "factory.max_engines_per_user",
          message: "factory.max_engines_per_user must be an integer >= 1"),
    .init(json: #"{"server": {"port": 70000}}"#, keyPath: "server.port",
          message: "server.port must be an integer between 0 and 65535"),
    .init(json: #"{"server": {"port": "80"}}"#, keyPath: "server.port",
          message: "server.port must be an integer between 0 and 65535"),
    .init(json: #"{"server": {"prot": 1}}"#, keyPath: "server.prot", message: "server.prot is not a known setting"),
    .init(json: #"{"serverr": {}}"#, keyPath: "serverr", message: "serverr is not a known setting"),
    .init(json: #"{"server": {"timeouts": {"idle_seconds": 0}}}"#, keyPath: "server.timeouts.idle_seconds",
          message: "server.timeouts.idle_seconds must be a number of seconds > 0"),
    .init(json: #"{"server": {"timeouts": {"write_seconds": 1e12}}}"#, keyPath: "server.timeouts.write_seconds",
          message: "server.timeouts.write_seconds must be at most 315360000 seconds (ten years)"),
    .init(json: #"{"server": {"drain": {"delay_seconds": -1}}}"#, keyPath: "server.drain.delay_seconds",
          message: "server.drain.delay_seconds must be a number of seconds >= 0"),
    .init(json: #"{"server": {"tls": {"cert_file": "/c.pem"}}}"#, keyPath: "server.tls.key_file",
          message: "server.tls.key_file must be a file path when server.tls is set"),
    .init(json: #"{"server": {"tls": {"cert_file": "/c", "key_file": "/k", "min_version": "1.1"}}}"#,
          keyPath: "server.tls.min_version", message: "server.tls.min_version must be one of: 1.2, 1.3"),
    .init(json: #"{"server": {"compression": {"level": 10}}}"#, keyPath: "server.compression.level",
          message: "server.compression.level must be an integer between 1 and 9"),
    .init(json: #"{"server": {"compression": {"enabled": "yes"}}}"#, keyPath: "server.compression.enabled",
          message: "server.compression.enabled must be true or false"),
    .init(json: #"{"server": {"host": ""}}"#, keyPath: "server.host", message: "server.host must be a non-empty string"),
    .init(json: #"{"server": null}"#, keyPath: "server", message: "server must be an object, not null"),
    .init(json: #"{"server": []}"#, keyPath: "server", message: "server must be an object, not array"),
    .init(json: #"{"auth": {"mode": "basic"}}"#, keyPath: "auth.mode",
          message: "auth.mode must be one of: api_keys, jwt, api_keys_or_jwt"),
    .init(json: #"{"auth": {"api_keys": [{"user_id": "u", "sha256": "SET-ME"}]}}"#, keyPath: "auth.api_keys[0].sha256",
          message: "auth.api_keys[0].sha256 must be 64 lowercase hex characters (the SHA-256 of the key)"),
    .init(json: #"{"auth": {"api_keys": [{"user_id": "u", "sha256": "\#(hexA.uppercased())"}]}}"#, keyPath: "auth.api_keys[0].sha256",
          message: "auth.api_keys[0].sha256 must be 64 lowercase hex characters (the SHA-256 of the key)"),
    .init(json: #"{"auth": {"api_keys": [{"user_id": "has space", "sha256": "\#(hexA)"}]}}"#, keyPath: "auth.api_keys[0].user_id",
          message: "auth.api_keys[0].user_id must be 1 to 128 printable ASCII characters without spaces or '/'"),
    .init(json: #"{"auth": {"api_keys": [{"user_id": "a", "sha256": "\#(hexA)"}, {"user_id": "b", "sha256": "\#(hexA)"}]}}"#,
          keyPath: "auth.api_keys[1].sha256", message: "auth.api_keys[1].sha256 repeats the key of auth.api_keys[0]"),
    .init(json: #"{"auth": {"demo_keys": false, "api_keys": [{"user_id": "demo-alice", "sha256": "\#(demoAlice)"}]}}"#,
          keyPath: "auth.api_keys[0].sha256",
          message: "auth.api_keys[0].sha256 is a published demo key; remove it or set auth.demo_keys to true"),
    .init(json: #"{"auth": {"demo_keys": false}}"#, keyPath: "auth.api_keys[0].sha256",
          message: "auth.api_keys[0].sha256 is a published demo key; remove it or set auth.demo_keys to true"),
    .init(json: #"{"auth": {"api_keys": [{"user_id": "u", "sha256": "\#(hexA)", "role": "admin"}]}}"#,
          keyPath: "auth.api_keys[0].role", message: "auth.api_keys[0].role is not a known setting"),
    .init(json: #"{"auth": {"mode": "jwt"}}"#, keyPath: "auth.jwt", message: "auth.jwt must be an object when auth.mode is jwt"),
    .init(json: #"{"auth": {"api_keys": []}}"#, keyPath: "auth.api_keys",
          message: "auth.api_keys must list at least one key when auth.mode is api_keys"),
    .init(json: #"{"auth": {"jwt": {"algorithms": ["none"]}}}"#, keyPath: "auth.jwt.algorithms[0]",
          message: "auth.jwt.algorithms[0] must not be \"none\" (unsigned tokens are never accepted)"),
    .init(json: #"{"auth": {"jwt": {"algorithms": ["HS512"]}}}"#, keyPath: "auth.jwt.algorithms[0]",
          message: "auth.jwt.algorithms[0] must be one of: HS256, RS256"),
    .init(json: #"{"auth": {"jwt": {"algorithms": []}}}"#, keyPath: "auth.jwt.algorithms",
          message: "auth.jwt.algorithms must list at least one of: HS256, RS256"),
    .init(json: #"{"auth": {"jwt": {"hs256_secret": "short"}}}"#, keyPath: "auth.jwt.hs256_secret",
          message: "auth.jwt.hs256_secret must be a string of at least 32 bytes when HS256 is allowed"),
    .init(json: #"{"auth": {"jwt": {"algorithms": ["RS256"]}}}"#, keyPath: "auth.jwt.rs256_public_key_file",
          message: "auth.jwt.rs256_public_key_file or auth.jwt.rs256_public_key_pem (exactly one) must be set when RS256 is allowed"),
    .init(json: #"{"auth": {"jwt": {"algorithms": ["RS256"], "rs256_public_key_file": "/a", "hs256_secret": "\#(hexA)"}}}"#,
          keyPath: "auth.jwt.hs256_secret", message: "auth.jwt.hs256_secret is set but HS256 is not in auth.jwt.algorithms"),
    .init(json: #"{"auth": {"jwt": {"hs256_secret": "\#(hexA)", "leeway_seconds": 601}}}"#, keyPath: "auth.jwt.leeway_seconds",
          message: "auth.jwt.leeway_seconds must be at most 600 seconds"),
    .init(json: #"{"auth": {"jwt": {"hs256_secret": "\#(hexA)", "secret": "x"}}}"#, keyPath: "auth.jwt.secret",
          message: "auth.jwt.secret is not a known setting"),
    .init(json: #"{"contexts": {"placeholder_values": [1]}}"#, keyPath: "contexts.placeholder_values[0]",
          message: "contexts.placeholder_values[0] must be a string"),
    .init(json: #"{"contexts": {"max_depth": -1}}"#, keyPath: "contexts.max_depth",
          message: "contexts.max_depth must be an integer between 0 and 1000"),
    .init(json: #"{"factory": {"per_user_overrides": {"bob": -1}}}"#, keyPath: "factory.per_user_overrides.bob",
          message: "factory.per_user_overrides.bob must be an integer >= 0"),
    .init(json: #"{"factory": {"breaker": {"failure_threshold": 0}}}"#, keyPath: "factory.breaker.failure_threshold",
          message: "factory.breaker.failure_threshold must be an integer >= 1"),
    .init(json: #"{"engines": {"max_concurrent_runs": 1.5}}"#, keyPath: "engines.max_concurrent_runs",
          message: "engines.max_concurrent_runs must be an integer >= 1"),
    .init(json: #"{"events": {"redact_keys": "password"}}"#, keyPath: "events.redact_keys",
          message: "events.redact_keys must be an array of strings"),
    .init(json: #"{"streams": {"heartbeat_seconds": "15"}}"#, keyPath: "streams.heartbeat_seconds",
          message: "streams.heartbeat_seconds must be a number of seconds > 0"),
    .init(json: #"{"idempotency": {"ttl_seconds": 0}}"#, keyPath: "idempotency.ttl_seconds",
          message: "idempotency.ttl_seconds must be a number of seconds > 0"),
    .init(json: #"{"agents": {}}"#, keyPath: "agents",
          message: "agents must be an array of agent objects or the path of a JSON file holding one"),
    .init(json: #"{"agents": [{"name": "a b", "kind": "builtin"}]}"#, keyPath: "agents[0].name",
          message: "agents[0].name must be 1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit"),
    .init(json: #"{"agents": [{"name": "a", "kind": "shell"}]}"#, keyPath: "agents[0].kind",
          message: "agents[0].kind must be \"builtin\" or \"process\", got \"shell\""),
    .init(json: #"{"agents": [{"name": "a", "kind": "process"}]}"#, keyPath: "agents[0].command",
          message: "agents[0].command is required: a non-empty array of strings, the program first"),
    .init(json: #"{"agents": [{"name": "a", "kind": "process", "command": ["/x"], "limits": {"open_files": 1}}]}"#,
          keyPath: "agents[0].limits.open_files", message: "agents[0].limits.open_files must be between 8 and 1048576, got 1"),
    .init(json: #"{"agents": [{"name": "a", "kind": "builtin", "builtin": "echo"}, {"name": "a", "kind": "builtin", "builtin": "echo"}]}"#,
          keyPath: "agents[1].name", message: "agents[1].name repeats \"a\" of agents[0]"),
    .init(json: #"{"agents": [{"name": "a", "kind": "builtin", "command": ["x"]}]}"#, keyPath: "agents[0].command",
          message: "agents[0].command unknown field (allowed: builtin, description, kind, name, timeout_seconds)"),
    .init(json: #"{"logging": {"level": "verbose"}}"#, keyPath: "logging.level",
          message: "logging.level must be one of: trace, debug, info, notice, warning, error, critical"),
    .init(json: #"{"logging": {"format": "xml"}}"#, keyPath: "logging.format", message: "logging.format must be one of: json, text"),
    .init(json: #"{"metrics": {"enabled": 1}}"#, keyPath: "metrics.enabled", message: "metrics.enabled must be true or false"),
]

@Suite("Configuration validation")
struct ConfigurationValidationTests {
    @Test("each invalid setting is refused with one message naming its key", arguments: invalidConfigurations)
    func refusedWithKey(_ invalid: InvalidConfiguration) throws {
        let error = try #require(configurationError(invalid.json))
        #expect(error.keyPath == invalid.keyPath)
        #expect(error.message == invalid.message)
    }

    @Test("the same documents without the fault are accepted")
    func validNeighbours() throws {
        _ = try ServiceConfiguration.parse(#"{"factory": {"max_engines_per_user": 1}}"#)
        _ = try ServiceConfiguration.parse(#"{"server": {"port": 65535, "timeouts": {"idle_seconds": 0.25}}}"#)
        _ = try ServiceConfiguration.parse(#"{"server": {"port": 8080.0}}"#)
        _ = try ServiceConfiguration.parse(#"{"auth": {"demo_keys": false, "api_keys": [{"user_id": "u", "sha256": "\#(hexA)"}]}}"#)
        _ = try ServiceConfiguration.parse(#"{"auth": {"mode": "jwt", "api_keys": [], "jwt": {"hs256_secret": "\#(hexA)"}}}"#)
        _ = try ServiceConfiguration.parse(#"{"agents": [{"name": "a", "kind": "process", "command": ["/x"], "limits": {"open_files": 8}}]}"#)
        _ = try ServiceConfiguration.parse(#"{"agents": []}"#)
    }
}
