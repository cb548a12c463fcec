#if canImport(Glibc)
import Glibc
#endif
import ExecutionAPI
import IsolationdConfiguration

/// Loading the configuration the way every subcommand does, with one message on failure.
enum ConfigurationLoading {
    /// The effective configuration and the file it came from.
    static func load(option: String?, host: String? = nil, port: Int? = nil) throws(ConfigurationError) -> (ServiceConfiguration, String) {
        let environment = ProcessEnvironment.current()
        let path = ConfigurationFile.resolve(option: option, environment: environment)
        var configuration = try ServiceConfiguration.load(path: path, environment: environment)
        try configuration.overrideListenAddress(host: host, port: port)
        try DemoKeyExposure.check(configuration, environment: environment)
        return (configuration, path)
    }

    /// The authenticator for `configuration.auth` (the RS256 key is read here); its refusals are
    /// configuration errors naming the setting.
    static func authenticator(for configuration: ServiceConfiguration) throws(ConfigurationError) -> Authenticator {
        do throws(AuthSettingsError) {
            return try Authenticator(settings: configuration.auth)
        } catch {
            throw ConfigurationError(error)
        }
    }

    /// Writes `isolationd: <message>` to standard error.
    static func report(_ message: String) {
        let line = Array("isolationd: \(message)\n".utf8)
        line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }
}
