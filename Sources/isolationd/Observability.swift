import ExecutionAPI
import ExecutionCore
import IsolationdConfiguration
import Logging
import Metrics
import Prometheus
import Synchronization

/// Process-wide logging and metrics, bootstrapped once at start.
public enum Observability {
    private static let loggingDone = Atomic<Bool>(false)
    private static let metricsDone = Atomic<Bool>(false)

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

    /// Installs swift-prometheus as the swift-metrics backend, with one registry for the
    /// process; returns that registry's exporter. Later calls return an exporter of a registry
    /// that nothing records into (swift-metrics allows one bootstrap per process).
    public static func bootstrapMetrics() -> PrometheusExporter {
        let registry = PrometheusCollectorRegistry()
        if metricsDone.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        }
        return PrometheusExporter(registry: registry)
    }
}

/// Renders the process's metrics in the Prometheus text exposition format (version 0.0.4),
/// for the `/metrics` route.
public struct PrometheusExporter: Sendable {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// The whole registry as Prometheus text.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        registry.emit(into: &buffer)
        return buffer
    }

    /// `render` as a plain closure, for layers that do not import Prometheus.
    public var renderer: @Sendable () -> [UInt8] {
        let registry = registry
        return {
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return buffer
        }
    }
}
