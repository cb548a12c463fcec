import ArgumentParser
import ExecutionAPI
import IsolationdConfiguration

/// `isolationd healthcheck`: GET the liveness probe; exit 0 only on 200. For container
/// HEALTHCHECK and scripts.
struct HealthcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 if the service answers 200 on its health probe.",
        discussion: """
            Without --url, the port comes from the configuration (file and ISOLATIOND_* \
            environment) and the host is loopback when the server listens on every address.
            """)

    @Option(help: ArgumentHelp("The URL to GET (http:// only).", valueName: "URL"))
    var url: String?

    @Option(help: "Seconds to wait for the whole exchange.")
    var timeout: Double = 3

    @OptionGroup var file: ConfigFileOption

    func run() throws {
        let target: HealthProbe.Target
        do {
            target = try HealthProbe.parse(url ?? defaultURL())
        } catch {
            ConfigurationLoading.report("healthcheck: \(error)")
            throw ExitStatus.unhealthy
        }
        do {
            let status = try HealthProbe.status(of: target, timeout: max(0.1, timeout))
            guard status == 200 else {
                ConfigurationLoading.report("healthcheck: \(target.path) answered \(status)")
                throw ExitStatus.unhealthy
            }
        } catch let failure as HealthProbe.Failure {
            ConfigurationLoading.report("healthcheck: \(failure)")
            throw ExitStatus.unhealthy
        }
    }

    /// `http://<host>:<port>/healthz` from the configuration; 127.0.0.1:8080 if it cannot be read.
    private func defaultURL() -> String {
        guard let (configuration, _) = try? ConfigurationLoading.load(option: file.config) else {
            return "http://127.0.0.1:8080/healthz"
        }
        var host = configuration.server.host
        switch host {
        case "0.0.0.0", "": host = "127.0.0.1"
        case "::", "[::]": host = "::1"
        default: break
        }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "http://\(bracketed):\(configuration.server.port)/healthz"
    }
}
