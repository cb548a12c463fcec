import ArgumentParser
import ExecutionAPI
import ExecutionCore
import IsolationdConfiguration

/// `isolationd check-config`: validates the configuration as `serve` would (including loading
/// the JWT keys) and prints the effective configuration with secrets redacted.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print it, secrets redacted.",
        discussion: "Exits 0 when valid; otherwise prints one message naming the bad key and exits 78.")

    @OptionGroup var file: ConfigFileOption

    func run() throws {
        let configuration: ServiceConfiguration
        let path: String
        do {
            (configuration, path) = try ConfigurationLoading.load(option: file.config)
            _ = try ConfigurationLoading.authenticator(for: configuration)
        } catch {
            ConfigurationLoading.report("invalid configuration: \(error.message)")
            throw ExitStatus.configuration
        }
        print(PrettyJSON.render(configuration.redacted))
        ConfigurationLoading.report("configuration OK (\(path))")
        if configuration.auth.demoKeysActive {
            ConfigurationLoading.report("warning: the published demo API keys are accepted (auth.demo_keys)")
        }
    }
}
