import ExecutionAPI
import ExecutionCore
import IsolationdConfiguration
import Logging
import Synchronization

/// Process-wide logging, bootstrapped once at start, and the process's metrics exporter.
public enum Observability {
    private static let loggingDone = Atomic<Bool>(false)

    /// Routes every swift-log logger through `LineLogHandler` with the configured level and
    /// format, writing to standard output. Later calls change nothing (swift-log allows one
    /// bootstrap per process).
    public static func bootstrapLogging(_ settings: LoggingSettings, sink: LogSink = .standardOutput) {
        guard loggingDone.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        LoggingSystem.bootstrap { label in
            // Lines logged while a request is routed carry its `request_id`.
            LineLogHandler(label: label, level: settings.level, format: settings.format, sink: sink,
                           metadataProvider: RequestID.metadataProvider)
        }
    }

    /// The exporter of the process's own families (`isolationd_build_info`, `process_*`),
    /// which `/metrics` serves before the service's. The revision is read from the environment
    /// now, once (`ServiceVersion.revisionVariable`).
    public static func metricsExporter(logSink: LogSink = .standardOutput) -> PrometheusExporter {
        PrometheusExporter(buildInfo: BuildInfo(version: ServiceVersion.current,
                                                revision: ServiceVersion.revisionFromEnvironment()),
                           logSink: logSink)
    }
}

/// Renders the families that belong to the process rather than the service: its build
/// (`isolationd_build_info`), its log lines dropped, and the standard `process_*` families read
/// from /proc, in the Prometheus text exposition format (version 0.0.4).
public struct PrometheusExporter: Sendable {
    public static let contentType = PrometheusExposition.contentType
    public let buildInfo: BuildInfo
    /// Where the log lines go (its dropped-line count is exported).
    public let logSink: LogSink

    public init(buildInfo: BuildInfo, logSink: LogSink = .standardOutput) {
        self.buildInfo = buildInfo
        self.logSink = logSink
    }

    /// The families as Prometheus text.
    public func render() -> [UInt8] {
        var text = PrometheusExposition()
        buildInfo.write(to: &text)
        text.single("isolationd_log_lines_dropped_total", .counter,
                    help: "Log lines dropped because standard output did not keep up (the log queue was full).",
                    Int(clamping: logSink.droppedLines))
        // Nil only without a readable /proc; the families are then left out, not faked.
        ProcessStatistics.current()?.write(to: &text)
        return text.bytes
    }

    /// `render` as a closure, for `MetricsEndpoint`.
    public var renderer: @Sendable () -> [UInt8] {
        let exporter = self
        return { exporter.render() }
    }
}
