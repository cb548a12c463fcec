import Logging

/// `logging`: level, line format and the access log.
public struct LoggingSettings: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        /// One JSON object per line.
        case json
        /// Readable lines: time, level, label, message, key=value metadata.
        case text
    }

    public var level = Logger.Level.info
    public var format = Format.text
    /// One line per request (probes only at debug level).
    public var accessLog = true
    public init() {}
}

/// `metrics`: the Prometheus `/metrics` endpoint.
public struct MetricsSettings: Sendable, Equatable {
    public var enabled = true
    /// When true, `/metrics` needs an authenticated principal with role `admin`.
    public var requireAdmin = false
    public init() {}
}

extension LoggingSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        let levelName = try o.string("level", default: "info", oneOf: Logger.Level.allCases.map(\.rawValue))
        level = Logger.Level(rawValue: levelName) ?? .info
        let formatName = try o.string("format", default: "text", oneOf: Format.allCases.map(\.rawValue))
        format = Format(rawValue: formatName) ?? .text
        accessLog = try o.bool("access_log", default: true)
    }
}

extension MetricsSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        enabled = try o.bool("enabled", default: true)
        requireAdmin = try o.bool("require_admin", default: false)
    }
}
