import ExecutionAPI
import ExecutionCore
import PostgresClient

/// The database pool's families for `/metrics` (issue 13; docs/metrics.md): connections in use
/// and idle, queries waiting, reconnects, the batching achieved, and query durations by
/// statement name as histograms. Statement names are fixed by the binary: no user's value is
/// ever a label.
enum DatabaseMetrics {
    static func write(_ database: RunningDatabase, service: ExecutionService, to out: inout PrometheusExposition) {
        writePool(database, to: &out)
        writeJournal(service, to: &out)
    }

    /// The event journal: the wake-up lag from another replica's commit to this one hearing of
    /// it (NOTIFY), and the engines' events on their way to the database.
    static func writeJournal(_ service: ExecutionService, to out: inout PrometheusExposition) {
        if let lag = service.hub.deliveryLag?.snapshot {
            let name = "isolationd_database_notify_lag_seconds"
            out.family(name, .histogram, help: "Time from an event append's commit to this replica's wake-up for it (LISTEN/NOTIFY).")
            for (index, bound) in DeliveryLagHistogram.bounds.enumerated() {
                out.sample(name + "_bucket", [("le", "\(bound)")], lag.cumulative[index])
            }
            out.sample(name + "_bucket", [("le", "+Inf")], lag.count)
            out.sample(name + "_sum", [], lag.sumSeconds)
            out.sample(name + "_count", [], lag.count)
        }
        guard let figures = service.journalPublisher?.statistics else { return }
        out.single("isolationd_journal_events_appended_total", .counter, help: "Events this replica stored in the database's event journal.",
                   figures.appended)
        out.single("isolationd_journal_events_waiting", .gauge, help: "Events waiting for their append to the journal.",
                   figures.waiting)
        out.single("isolationd_journal_append_failures_total", .counter, help: "Journal appends that failed (retried with backoff).",
                   figures.failedAppends)
        out.single("isolationd_journal_events_dropped_total", .counter, help: "Events dropped because too many waited while the database failed (past 100,000 or 64 MiB; the oldest first).",
                   figures.dropped)
    }

    static func writePool(_ database: RunningDatabase, to out: inout PrometheusExposition) {
        let figures = database.pool.statistics
        out.single("isolationd_database_up", .gauge, help: "1 while at least one database connection is established, else 0.",
                   database.pool.health.isUp ? 1 : 0)
        out.family("isolationd_database_connections", .gauge, help: "Database connections by state (in_use: carrying a query).")
        out.sample("isolationd_database_connections", [("state", "in_use")], figures.inUse)
        out.sample("isolationd_database_connections", [("state", "idle")], figures.idle)
        out.single("isolationd_database_queries_waiting", .gauge, help: "Queries queued for a database connection.",
                   figures.waiting)
        out.single("isolationd_database_reconnects_total", .counter, help: "Database connections established again after a loss or a failed attempt.",
                   figures.reconnects)
        out.single("isolationd_database_connection_failures_total", .counter, help: "Failed connection attempts plus lost connections.",
                   figures.connectionFailures)
        out.single("isolationd_database_round_trips_total", .counter, help: "Pipelined writes to the database (each carries every statement queued in one loop turn).",
                   figures.batches)
        out.single("isolationd_database_statements_sent_total", .counter, help: "Statements sent to the database.",
                   figures.statementsSent)
        out.single("isolationd_database_notifications_total", .counter, help: "LISTEN notifications received.",
                   figures.notifications)
        let name = "isolationd_database_query_duration_seconds"
        out.family(name, .histogram, help: "Database query durations from submission to answer (queueing included), by statement name.")
        for (statement, stats) in figures.statements.sorted(by: { $0.key < $1.key }) {
            for (index, bound) in PostgresPoolStatistics.durationBounds.enumerated() {
                out.sample(name + "_bucket", [("statement", statement), ("le", "\(bound)")], stats.bucketCounts[index])
            }
            out.sample(name + "_bucket", [("statement", statement), ("le", "+Inf")], stats.count)
            out.sample(name + "_sum", [("statement", statement)], stats.totalSeconds)
            out.sample(name + "_count", [("statement", statement)], stats.count)
        }
        out.family("isolationd_database_query_failures_total", .counter, help: "Database queries that failed, by statement name.")
        for (statement, stats) in figures.statements.sorted(by: { $0.key < $1.key }) {
            out.sample("isolationd_database_query_failures_total", [("statement", statement)], stats.failures)
        }
    }
}
