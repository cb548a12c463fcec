import ExecutionAPI
import ExecutionCore

/// The whole service configuration: one JSON file (config/isolationd.json) plus `ISOLATIOND_…`
/// environment overrides (see `EnvironmentOverrides`), validated at once. The executable reads
/// it and hands each part to what it configures: `service` and `auth` to ExecutionAPI,
/// `server` to the HTTP server, `logging` and `metrics` to its own bootstrap.
///
/// Every section and field has a default equal to the shipped file's, so a missing section
/// works. Unknown keys are refused; each error names its key path.
public struct ServiceConfiguration: Sendable {
    public var server = ServerSettings()
    public var auth = AuthSettings()
    /// What the execution service is built from: the `contexts`, `factory`, `engines`,
    /// `events`, `streams`, `idempotency` and `budgets` sections and the `agents` (decoded by the core's
    /// parser, `AgentDefinition`; see `AgentsSection`).
    public var service = ServiceSettings()
    public var logging = LoggingSettings()
    public var metrics = MetricsSettings()
    /// PostgreSQL for state shared by replicas; off (in memory) without `database.url`.
    public var database = DatabaseSettings()

    /// The configuration as loaded (file, then environment, then defaults for what neither
    /// set), with secrets replaced by `"<redacted>"`: API key hashes, the JWT secret and process
    /// agents' environment values. For `check-config` and the one startup log line. Changes made
    /// to the fields after loading do not show here.
    public private(set) var redacted: JSONValue = .object([:])

    /// The defaults (the same values as the shipped file).
    public init() {
        if let defaults = try? ServiceConfiguration(json: .object([:])) { self = defaults }
    }

    /// Reads a parsed document, after applying the overrides found in `environment` (pass
    /// `ProcessEnvironment.current()` in production, a dictionary in tests). Relative paths of
    /// process agents (and an `agents` file) are resolved against `baseDirectory`, the
    /// configuration file's directory.
    public init(json: JSONValue, environment: [String: String] = [:], baseDirectory: String = ".") throws(ConfigurationError) {
        guard case .object = json else {
            throw ConfigurationError(keyPath: "", message: "the configuration must be a JSON object, not \(json.typeName)")
        }
        let (document, origins) = try EnvironmentOverrides.apply(to: json, environment: environment)
        var root = try ConfigObject(document, path: "", origins: origins)
        server = try root.section("server") { (o: inout ConfigObject) throws(ConfigurationError) in try ServerSettings(reading: &o) }
        auth = try root.section("auth") { (o: inout ConfigObject) throws(ConfigurationError) in try AuthSettings(reading: &o) }
        service.contexts = try root.section("contexts") { (o: inout ConfigObject) throws(ConfigurationError) in try ContextSettings(reading: &o) }
        service.factory = try root.section("factory") { (o: inout ConfigObject) throws(ConfigurationError) in try FactorySettings(reading: &o) }
        service.engines = try root.section("engines") { (o: inout ConfigObject) throws(ConfigurationError) in try EngineSettings(reading: &o) }
        service.events = try root.section("events") { (o: inout ConfigObject) throws(ConfigurationError) in try EventSettings(reading: &o) }
        service.streams = try root.section("streams") { (o: inout ConfigObject) throws(ConfigurationError) in try StreamSettings(reading: &o) }
        service.idempotency = try root.section("idempotency") { (o: inout ConfigObject) throws(ConfigurationError) in
            try IdempotencySettings(reading: &o)
        }
        service.budgets = try root.section("budgets") { (o: inout ConfigObject) throws(ConfigurationError) in try BudgetSettings(reading: &o) }
        let agentsValue = root.optionalValue("agents")
        let (agentDefinitions, agentsView) = try AgentsSection.read(agentsValue, baseDirectory: baseDirectory)
        service.agents = agentDefinitions
        root.record("agents", agentsView)
        logging = try root.section("logging") { (o: inout ConfigObject) throws(ConfigurationError) in try LoggingSettings(reading: &o) }
        metrics = try root.section("metrics") { (o: inout ConfigObject) throws(ConfigurationError) in try MetricsSettings(reading: &o) }
        database = try root.section("database") { (o: inout ConfigObject) throws(ConfigurationError) in try DatabaseSettings(reading: &o) }
        redacted = try root.finish()
    }

    /// Replaces the listening address (command-line options beat the file and the environment),
    /// keeping the redacted view in step.
    public mutating func overrideListenAddress(host: String?, port: Int?) throws(ConfigurationError) {
        guard case .object(var root) = redacted, case .object(var server)? = root["server"] else { return }
        if let host {
            guard host.contains(where: { !$0.isWhitespace }) else {
                throw ConfigurationError(keyPath: "server.host", message: "server.host must be a non-empty string (set by --host)")
            }
            self.server.host = host
            server["host"] = .string(host)
        }
        if let port {
            guard (0...65_535).contains(port) else {
                throw ConfigurationError(keyPath: "server.port", message: "server.port must be an integer between 0 and 65535 (set by --port)")
            }
            self.server.port = port
            server["port"] = .integer(Int64(port))
        }
        root["server"] = .object(server)
        redacted = .object(root)
    }

    /// Parses JSON text, then reads it as `init(json:environment:)` does.
    public static func parse(_ text: String, environment: [String: String] = [:],
                             baseDirectory: String = ".") throws(ConfigurationError) -> ServiceConfiguration {
        try parse(bytes: Array(text.utf8), source: "the configuration", environment: environment, baseDirectory: baseDirectory)
    }

    /// Reads the file at `path` (read once; nothing is written) with `environment`'s overrides.
    public static func load(path: String, environment: [String: String]) throws(ConfigurationError) -> ServiceConfiguration {
        let bytes = try ConfigurationFile.read(path)
        return try parse(bytes: bytes, source: path, environment: environment, baseDirectory: directory(of: path))
    }

    /// The directory part of `path` ("." for a bare file name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func parse(bytes: [UInt8], source: String, environment: [String: String],
                      baseDirectory: String) throws(ConfigurationError) -> ServiceConfiguration {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw ConfigurationError(keyPath: "", message: "\(source) is not valid JSON: \(error)")
        }
        return try ServiceConfiguration(json: json, environment: environment, baseDirectory: baseDirectory)
    }
}
