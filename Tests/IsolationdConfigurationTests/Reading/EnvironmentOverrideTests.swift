import ExecutionAPI
import ExecutionCore
@testable import IsolationdConfiguration
import Testing

@Suite("Configuration environment overrides")
struct EnvironmentOverrideTests {
    @Test("double underscores separate keys; values are typed as JSON where they look like it")
    func nestedOverrides() throws {
        let config = try ServiceConfiguration.parse("{}", environment: [
            "ISOLATIOND_SERVER__PORT": "9090",
            "ISOLATIOND_FACTORY__BREAKER__COOLDOWN_SECONDS": "5",
            "ISOLATIOND_SERVER__TIMEOUTS__IDLE_SECONDS": "2.5",
            "ISOLATIOND_SERVER__COMPRESSION__ENABLED": "false",
            "ISOLATIOND_CONTEXTS__RESERVED_KEYS": #"["a", "b"]"#,
            "ISOLATIOND_FACTORY__PER_USER_OVERRIDES": #"{"vip": 9}"#,
        ])
        #expect(config.server.port == 9090)
        #expect(config.service.factory.breaker.cooldownSeconds == 5)
        #expect(config.server.timeouts.idleSeconds == 2.5)
        #expect(config.server.compression.enabled == false)
        #expect(config.service.contexts.reservedKeys == ["a", "b"])
        #expect(config.service.factory.perUserOverrides == ["vip": 9])
    }

    @Test("short aliases set host, port and logging")
    func aliases() throws {
        let config = try ServiceConfiguration.parse(#"{"server": {"host": "127.0.0.1", "port": 1}}"#, environment: [
            "ISOLATIOND_HOST": "0.0.0.0", "ISOLATIOND_PORT": "8081",
            "ISOLATIOND_LOG_LEVEL": "debug", "ISOLATIOND_LOG_FORMAT": "json",
        ])
        #expect(config.server.host == "0.0.0.0")
        #expect(config.server.port == 8081)
        #expect(config.logging.level == .debug)
        #expect(config.logging.format == .json)
    }

    @Test("overrides beat the file; unrelated and reserved variables are ignored")
    func precedence() throws {
        let config = try ServiceConfiguration.parse(#"{"engines": {"max_queued_runs": 4}}"#, environment: [
            "ISOLATIOND_ENGINES__MAX_QUEUED_RUNS": "6", "ISOLATIOND_CONFIG": "/somewhere.json", "PATH": "/bin", "HOME": "/root",
        ])
        #expect(config.service.engines.maxQueuedRuns == 6)
    }

    @Test("a string setting keeps text that parses as a number")
    func numericLookingStrings() throws {
        let config = try ServiceConfiguration.parse(#"{"auth": {"jwt": {"hs256_secret": "\#(String(repeating: "k", count: 40))"}}}"#,
                                                    environment: ["ISOLATIOND_AUTH__JWT__ISSUER": "12345",
                                                                  "ISOLATIOND_SERVER__HOST": "10"])
        #expect(config.auth.jwt?.issuer == "12345")
        #expect(config.server.host == "10")
    }

    @Test("objects are created under null sections, and array elements can be addressed")
    func createAndIndex() throws {
        let hash = String(repeating: "b", count: 64)
        let file = try ServiceConfiguration.load(path: "\(packageRoot)/config/isolationd.json", environment: [:])
        #expect(file.auth.apiKeys[1].sha256 != hash)
        // Indices address arrays present in the file (the shipped one lists the two demo keys).
        let text = String(decoding: try ConfigurationFile.read("\(packageRoot)/config/isolationd.json"), as: UTF8.self)
        let config = try ServiceConfiguration.parse(text, environment: [
            "ISOLATIOND_SERVER__TLS__CERT_FILE": "/tls/cert.pem",
            "ISOLATIOND_SERVER__TLS__KEY_FILE": "/tls/key.pem",
            "ISOLATIOND_AUTH__API_KEYS__1__SHA256": hash,
        ], baseDirectory: "\(packageRoot)/config")
        #expect(config.server.tls?.certificateFile == "/tls/cert.pem")
        #expect(config.server.tls?.privateKeyFile == "/tls/key.pem")
        #expect(config.auth.apiKeys[1].sha256 == hash)
        #expect(config.auth.apiKeys[1].userID == "demo-bob")
    }

    @Test("errors from the environment name the key and the variable")
    func errorsNameVariable() throws {
        let badPort = try #require(configurationError("{}", environment: ["ISOLATIOND_PORT": "http"]))
        #expect(badPort.message == "server.port must be an integer between 0 and 65535 (set by ISOLATIOND_PORT)")
        let unknown = try #require(configurationError("{}", environment: ["ISOLATIOND_SERVER__PROT": "1"]))
        #expect(unknown.message == "server.prot is not a known setting (set by ISOLATIOND_SERVER__PROT)")
        let nested = try #require(configurationError("{}", environment: ["ISOLATIOND_SERVER__TLS": #"{"cert_file": "/c"}"#]))
        #expect(nested.message == "server.tls.key_file must be a file path when server.tls is set (set by ISOLATIOND_SERVER__TLS)")
        let twice = try #require(configurationError("{}", environment: ["ISOLATIOND_PORT": "1", "ISOLATIOND_SERVER__PORT": "2"]))
        #expect(twice.message == "server.port is set by both ISOLATIOND_PORT and ISOLATIOND_SERVER__PORT")
        let badJSON = try #require(configurationError("{}", environment: ["ISOLATIOND_AGENTS": "[{"]))
        #expect(badJSON.message.hasPrefix("ISOLATIOND_AGENTS is not valid JSON"))
        let outOfRange = try #require(configurationError("{}", environment: ["ISOLATIOND_AUTH__API_KEYS__5__SHA256": "x"]))
        #expect(outOfRange.keyPath == "auth.api_keys")
        let throughScalar = try #require(configurationError(#"{"server": {"port": 1}}"#, environment: ["ISOLATIOND_SERVER__PORT__X": "1"]))
        #expect(throughScalar.message == "ISOLATIOND_SERVER__PORT__X: server.port is a number, it has no key x")
        let emptySegment = try #require(configurationError("{}", environment: ["ISOLATIOND_SERVER____PORT": "1"]))
        #expect(emptySegment.message.contains("ISOLATIOND_SERVER____PORT"))
    }

    @Test("variable names map to key paths")
    func keySegments() {
        #expect(EnvironmentOverrides.keySegments(of: "ISOLATIOND_SERVER__MAX_BODY_BYTES") == ["server", "max_body_bytes"])
        #expect(EnvironmentOverrides.keySegments(of: "ISOLATIOND_PORT") == ["server", "port"])
        #expect(EnvironmentOverrides.keySegments(of: "ISOLATIOND_CONFIG") == nil)
        #expect(EnvironmentOverrides.keySegments(of: "ISOLATIOND_REVISION") == nil)  // build_info's revision
        #expect(EnvironmentOverrides.keySegments(of: "OTHER_PORT") == nil)
        #expect(EnvironmentOverrides.keySegments(of: "ISOLATIOND_") == nil)
    }

    @Test("override values: JSON scalars typed, other text kept as strings")
    func valueParsing() throws {
        #expect(try EnvironmentOverrides.parseValue("42", variable: "V") == .integer(42))
        #expect(try EnvironmentOverrides.parseValue("-1.5e2", variable: "V") == .double(-150))
        #expect(try EnvironmentOverrides.parseValue("true", variable: "V") == .bool(true))
        #expect(try EnvironmentOverrides.parseValue("null", variable: "V") == .null)
        #expect(try EnvironmentOverrides.parseValue("0.0.0.0", variable: "V") == .string("0.0.0.0"))
        #expect(try EnvironmentOverrides.parseValue("08080", variable: "V") == .string("08080"))
        #expect(try EnvironmentOverrides.parseValue("::", variable: "V") == .string("::"))
        #expect(try EnvironmentOverrides.parseValue(#""quoted""#, variable: "V") == .string("quoted"))
        #expect(try EnvironmentOverrides.parseValue("", variable: "V") == .string(""))
    }
}
