import ExecutionAPI
import Logging

/// A started service that can be drained.
struct RunningService {
    /// The bound port (the configured one, or the kernel's pick for port 0).
    var port: Int
    /// Readiness 503 at once, stop accepting, let in-flight work finish within the drain
    /// deadline, then stop.
    var drain: @Sendable () async -> Void
}

/// Where the HTTP server is built from the configuration.
enum ServerAssembly {
    struct NotWired: Error, CustomStringConvertible {
        var description: String { "the HTTP server is not wired yet (waiting for branch http-transport)" }
    }

    /// PLACEHOLDER until branch `http-transport` is merged: build `HTTPServerConfiguration` from
    /// `configuration.server`, start `HTTPServer` with the built-in probes and a responder, and
    /// return its drain.
    static func start(configuration: ServiceConfiguration, authenticator: Authenticator,
                      metrics: PrometheusExporter?, logger: Logger) throws -> RunningService {
        throw NotWired()
    }
}
