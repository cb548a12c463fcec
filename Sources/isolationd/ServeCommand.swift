import ArgumentParser
import ExecutionAPI
import ExecutionCore
import IsolationdConfiguration
import Logging

/// `isolationd serve` (the default): load and validate the configuration, bootstrap logging and
/// metrics, start the server, drain on SIGTERM/SIGINT and exit 0.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the service (the default subcommand).",
        discussion: """
            SIGTERM or SIGINT drains: readiness turns 503, in-flight work gets until \
            server.drain.deadline_seconds, then the process exits 0. A second signal exits at once.
            """)

    @OptionGroup var file: ConfigFileOption

    @Option(help: "Listen on this address (beats the file and ISOLATIOND_HOST).")
    var host: String?

    @Option(help: "Listen on this port, 0 for any free one (beats the file and ISOLATIOND_PORT).")
    var port: Int?

    func run() async throws {
        // Handlers first: a SIGTERM during start-up must drain, not kill.
        let termination = TerminationLatch()
        SignalHandling.install { termination.signal($0) }

        let configuration: ServiceConfiguration
        let path: String
        let authenticator: Authenticator
        do {
            (configuration, path) = try ConfigurationLoading.load(option: file.config, host: host, port: port)
            authenticator = try ConfigurationLoading.authenticator(for: configuration)
        } catch {
            ConfigurationLoading.report("invalid configuration: \(error.message)")
            throw ExitStatus.configuration
        }

        Observability.bootstrapLogging(configuration.logging)
        // Log lines are written by a thread of their own: let it finish before the process
        // ends, whichever way `run` leaves (bounded: a pipe nobody reads must not hold the exit).
        defer { LogSink.standardOutput.flush() }
        let logger = Logger(label: "isolationd")
        let metrics = configuration.metrics.enabled ? Observability.metricsExporter() : nil
        logger.info("effective configuration",
                    metadata: ["file": .string(path), "config": .stringConvertible(JSONLogValue(configuration.redacted))])
        if configuration.auth.demoKeysActive {
            logger.warning("the published demo API keys are accepted; replace auth.api_keys and set auth.demo_keys to false before exposing this service",
                           metadata: ["users": .array(configuration.auth.apiKeys.filter { DemoAPIKeys.isDemoHash($0.sha256) }.map { .string($0.userID) })])
        }

        if let limit = FileDescriptorLimit.raise(forConnections: configuration.server.maxConnections) {
            let metadata: Logger.Metadata = ["soft": .stringConvertible(limit.soft), "previous_soft": .stringConvertible(limit.previousSoft),
                                             "hard": .stringConvertible(limit.hard), "wanted": .stringConvertible(limit.wanted)]
            if limit.sufficient {
                logger.info("open file limit", metadata: metadata)
            } else {
                logger.warning("open file limit is below server.max_connections plus headroom; raise the hard limit (ulimit -Hn, container nofile)",
                               metadata: metadata)
            }
        }

        let database: RunningDatabase?
        do {
            database = try await DatabaseAssembly.start(configuration, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": .string("\(error)")])
            throw ExitStatus.startFailure
        }

        let service: RunningService
        do {
            service = try ServerAssembly.start(configuration: configuration, authenticator: authenticator,
                                               metrics: metrics, database: database, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": .string("\(error)")])
            await database?.stop()
            throw ExitStatus.startFailure
        }
        // JSON values, so the JSON log format writes numbers (`"port":8080`) and booleans.
        var listening: Logger.Metadata = ["host": .string(configuration.server.host),
                                          "port": .stringConvertible(JSONLogValue(.integer(Int64(service.port)))),
                                          "tls": .stringConvertible(JSONLogValue(.bool(service.portIsTLS)))]
        if let tlsPort = service.tlsPort { listening["tls_port"] = .stringConvertible(JSONLogValue(.integer(Int64(tlsPort)))) }
        logger.info("listening", metadata: listening)

        let signalNumber = await termination.wait()
        logger.notice("draining", metadata: ["signal": .stringConvertible(signalNumber),
                                             "deadline_seconds": .stringConvertible(configuration.server.drain.deadlineSeconds)])
        await service.drain()
        logger.info("stopped")
    }
}
