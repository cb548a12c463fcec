import ExecutionAPI
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

/// Where the HTTP server is built from the configuration and started.
enum ServerAssembly {
    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Builds `HTTPServerConfiguration` from `configuration.server`, starts `HTTPServer` (its
    /// built-in `/livez`, `/healthz`, `/readyz` answer before the responder) and returns how to
    /// drain it. The responder is `PlaceholderResponder` until the API router is wired here.
    static func start(configuration: ServiceConfiguration, authenticator: Authenticator,
                      metrics: PrometheusExporter?, logger: Logger) throws -> RunningService {
        if configuration.server.tls != nil {
            // Serving plain HTTP when TLS was asked for would be worse than not starting.
            throw StartFailure(description: "server.tls is set, but this build's HTTP server has no TLS support yet")
        }
        let serverConfiguration = configuration.server.httpServerConfiguration(accessLog: configuration.logging.accessLog)
        let responder = PlaceholderResponder(authenticator: authenticator, metrics: metrics,
                                             metricsRequireAdmin: configuration.metrics.requireAdmin)
        let server = HTTPServer(configuration: serverConfiguration, responder: responder,
                                logger: Logger(label: "isolationd.http"))
        do {
            try server.start()
        } catch {
            throw StartFailure(description: "\(error)")
        }
        return RunningService(port: server.boundPort) {
            await server.drain()
            server.stop()
        }
    }
}

/// Answers what the service can answer before the API routes are wired: `GET /metrics`
/// (Prometheus text; admin only when `metrics.require_admin`) and 404 problem+json for the rest.
struct PlaceholderResponder: HTTPResponder {
    let authenticator: Authenticator
    let metrics: PrometheusExporter?
    let metricsRequireAdmin: Bool

    func respond(to request: HTTPRequest) -> HTTPResponse {
        guard request.path == "/metrics", let metrics else { return ProblemDetails.notFound().response() }
        guard request.method == .get || request.method == .head else {
            return ProblemDetails.methodNotAllowed(allowed: [.get, .head]).response()
        }
        if metricsRequireAdmin {
            do {
                let principal = try authenticator.authenticate(headers: request.headers)
                guard principal.isAdmin else { return ProblemDetails.forbidden(missingRole: "admin").response() }
            } catch {
                return ProblemDetails.unauthorized(error).response()
            }
        }
        return HTTPResponse(status: .ok, contentType: PrometheusExporter.contentType, body: metrics.render())
    }
}
