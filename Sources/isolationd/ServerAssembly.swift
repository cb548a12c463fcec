import ExecutionAPI
import ExecutionCore
import HTTPServer
import Logging

/// A started service that can be drained.
struct RunningService {
    /// The bound port (the configured one, or the kernel's pick for port 0).
    var port: Int
    /// Readiness 503 at once, stop accepting, let in-flight work finish within the drain
    /// deadline, then stop the loops.
    var drain: @Sendable () async -> Void
}

/// Where the service is assembled from the configuration and started: the execution core
/// (`ExecutionService`), the REST routes, any additional routes (the event streams), the
/// metrics endpoint, and the HTTP server.
enum ServerAssembly {
    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Routes installed beside the REST routes, with the service they read from (the event-stream
    /// endpoints are installed through this hook).
    typealias AdditionalRoutes = (inout Router, ExecutionService) -> Void

    /// Builds the core and the router, starts `HTTPServer` (its built-in `/livez`, `/healthz`,
    /// `/readyz` answer before the router) and returns how to drain both.
    static func start(configuration: ServiceConfiguration, authenticator: Authenticator,
                      metrics: PrometheusExporter?, logger: Logger,
                      additionalRoutes: AdditionalRoutes = EventRoutesHook.install) throws -> RunningService {
        if configuration.server.tls != nil {
            // Serving plain HTTP when TLS was asked for would be worse than not starting.
            throw StartFailure(description: "server.tls is set, but this build's HTTP server has no TLS support yet")
        }
        let service: ExecutionService
        do {
            service = try ExecutionService(configuration: configuration, authenticator: authenticator,
                                           logger: Logger(label: "isolationd.service"))
        } catch {
            throw StartFailure(description: error.description)
        }

        let serverReference = ServerReference()
        let endpoint = metrics.map {
            MetricsEndpoint(render: $0.renderer, contentType: PrometheusExporter.contentType,
                            requireAdmin: configuration.metrics.requireAdmin, server: serverReference)
        }
        var router = Router()
        APIRoutes.install(on: &router, service: service)
        additionalRoutes(&router, service)
        // Last, so the request metrics know every route template (the streams' too).
        let requestMetrics = endpoint.map { _ in HTTPMetrics(routes: router.patterns + [MetricsEndpoint.path]) }
        endpoint?.install(on: &router, service: service, requestMetrics: requestMetrics)
        let responder = APIResponder(router: router, metrics: requestMetrics)

        let serverConfiguration = configuration.server.httpServerConfiguration(accessLog: configuration.logging.accessLog)
        let server = HTTPServer(configuration: serverConfiguration, responder: responder,
                                logger: Logger(label: "isolationd.http"))
        do {
            try server.start()
        } catch {
            Task { await service.shutdown(deadline: .zero) }
            throw StartFailure(description: "\(error)")
        }
        serverReference.attach(server)
        return RunningService(port: server.boundPort) {
            // Both at once: the server stops taking work and lets streams say goodbye while the
            // factory gives running runs their grace, then ends the rest with reason `shutdown`.
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await server.drain() }
                group.addTask { await service.shutdown() }
            }
            server.stop()
        }
    }
}

/// The hook for the event-stream routes (`/v1/events`, `/v1/runs/{id}/events`, `/v1/events/ws`);
/// they are built on their own branch and installed here once merged.
enum EventRoutesHook {
    static func install(on router: inout Router, service: ExecutionService) {
        StreamRoutes.install(on: &router, service: service)
    }
}
