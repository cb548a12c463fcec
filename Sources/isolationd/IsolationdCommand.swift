import ArgumentParser

/// `isolationd [serve|healthcheck|check-config|migrate]`; `serve` when no subcommand is named.
@main
struct IsolationdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isolationd",
        abstract: "A multi-tenant execution-isolation service.",
        discussion: """
            Configuration: one JSON file (--config, else $ISOLATIOND_CONFIG, else \
            ./config/isolationd.json, else /etc/isolationd/isolationd.json) plus ISOLATIOND_* \
            environment overrides such as ISOLATIOND_PORT=9090 or \
            ISOLATIOND_FACTORY__BREAKER__COOLDOWN_SECONDS=5. See docs/configuration.md.
            """,
        version: ServiceVersion.current,
        subcommands: [ServeCommand.self, HealthcheckCommand.self, CheckConfigCommand.self, MigrateCommand.self],
        defaultSubcommand: ServeCommand.self)
}

/// `--config FILE`, shared by the subcommands.
struct ConfigFileOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "FILE"))
    var config: String?
}

/// Exit statuses besides 0 and ArgumentParser's own.
enum ExitStatus {
    /// sysexits.h EX_CONFIG: the configuration is invalid.
    static let configuration = ExitCode(78)
    /// The server could not start (port taken, TLS files unreadable...).
    static let startFailure = ExitCode(1)
    /// healthcheck: the service did not answer 200.
    static let unhealthy = ExitCode(1)
}
