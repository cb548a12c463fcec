import ArgumentParser
import IsolationdConfiguration
import Logging
import PostgresClient
import PostgresStore

/// `isolationd migrate`: brings the database named by `database.url` to the schema this binary
/// needs. Idempotent, and safe to run from several replicas at once (the runner holds an
/// advisory lock while it applies; each migration is one transaction).
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the database migrations this binary ships (database.url).",
        discussion: "Exits 0 when the schema is current; 78 without database.url; 1 when the database refused.")

    @OptionGroup var file: ConfigFileOption

    func run() throws {
        let configuration: ServiceConfiguration
        do {
            (configuration, _) = try ConfigurationLoading.load(option: file.config)
        } catch {
            ConfigurationLoading.report("invalid configuration: \(error.message)")
            throw ExitStatus.configuration
        }
        guard let url = configuration.database.url else {
            ConfigurationLoading.report("database.url is not set (nor ISOLATIOND_DATABASE__URL or database.url_file): nothing to migrate")
            throw ExitStatus.configuration
        }
        do {
            let outcome = try MigrationRunner.migrate(url: url, migrations: IsolationdSchema.migrations,
                                                      logger: Logger(label: "isolationd.migrate"))
            let applied = outcome.applied.isEmpty ? "none (already current)" : outcome.applied.map(String.init).joined(separator: ", ")
            ConfigurationLoading.report("schema at version \(outcome.current); applied: \(applied)")
        } catch {
            ConfigurationLoading.report("migration failed: \(error)")
            throw ExitStatus.startFailure
        }
    }
}
