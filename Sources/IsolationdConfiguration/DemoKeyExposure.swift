import ExecutionAPI

/// Safe by default in a container (issue 14, item 6): the published demo API keys are accepted
/// only while the service listens on loopback, or when the operator opts in explicitly with
/// `ISOLATIOND_ALLOW_DEMO_KEYS=1`. Otherwise `serve` and `check-config` refuse the
/// configuration with a message that says how to give the service keys of its own.
public enum DemoKeyExposure {
    /// The opt-in, for a local try of the container image.
    public static let optInVariable = "ISOLATIOND_ALLOW_DEMO_KEYS"

    /// Whether `host` (a `server.host` value) only accepts connections from this machine.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Refuses demo keys on a non-loopback listener unless `environment` opts in.
    public static func check(_ configuration: ServiceConfiguration, environment: [String: String]) throws(ConfigurationError) {
        guard configuration.auth.demoKeysActive, !isLoopback(configuration.server.host) else { return }
        let optIn = environment[optInVariable]?.lowercased()
        guard optIn != "1" && optIn != "true" else { return }
        throw ConfigurationError(keyPath: "auth.api_keys", message: """
            the published demo API keys would be accepted on \(configuration.server.host), which is not loopback. \
            Give the service keys of its own: auth.api_keys entries with the SHA-256 of each key and \
            auth.demo_keys false (README, "Authentication"); or, for a local try only, set \(optInVariable)=1
            """)
    }
}
