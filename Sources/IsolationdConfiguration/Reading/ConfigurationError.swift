import ExecutionAPI

/// A configuration the service refuses to start with. `message` is one sentence that names the
/// offending key path ("factory.max_engines_per_user must be an integer >= 1") and, when the
/// value came from the environment, the variable that set it.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dotted key path ("server.timeouts.idle_seconds", "auth.api_keys[1].sha256"); empty
    /// when the problem is the file itself (missing, unreadable, not JSON).
    public var keyPath: String
    /// The whole message, key path included.
    public var message: String

    public init(keyPath: String, message: String) {
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String { message }

    /// Auth settings the authenticator refused (its RS256 key, a JWT mode without `auth.jwt`):
    /// reported like every other configuration error, with the same key path and message.
    public init(_ error: AuthSettingsError) {
        self.init(keyPath: error.keyPath, message: error.message)
    }
}

/// A value set through an `ISOLATIOND_…` environment variable rather than the file.
struct EnvironmentOrigin: Sendable, Equatable {
    /// The variable's name, for error messages.
    var variable: String
    /// Its text as given, so a string setting can take "123" even though it parses as a number.
    var raw: String
}
