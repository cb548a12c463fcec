import ExecutionAPI
import ExecutionCore
import HTTPServer
import IsolationdConfiguration
import Logging

/// A started service that can be drained.
struct RunningService {
    /// The bound port of `server.port` (the kernel's pick for port 0); TLS when `server.tls`
    /// has no port of its own.
    var port: Int
    /// True when `port` serves TLS.
    var portIsTLS: Bool
    /// The bound port of the TLS listener beside the plain one (`server.tls.port`), else nil.
    var tlsPort: Int?
    /// Readiness 503 at once, stop accepting, let in-flight work finish within the drain
    /// deadline, then stop the loops.
    var drain: @Sendable () async -> Void
}

/// The one place the service is wired together from the configuration: the execution core
/// (`ExecutionService`), its REST and event-stream routes with their counters, the metrics
/// endpoint, the responder (request ids, request metrics, the access log) and the HTTP server(s).
///
/// One `HTTPServer` serves one listener, plain or TLS. When `server.tls.port` is set, a second
/// `HTTPServer` with the TLS context serves that port beside the plain one; both share the one
/// responder and the one core, and drain together.
enum ServerAssembly {
    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// `server.websocket_echo_path`: the echo with the event socket's limits (largest client
    /// message, keep-alive pings on the stream heartbeat, the same outbound bound). A path some
    /// route or the server already answers is refused at start.
    static func installWebSocketEcho(on router: inout Router, path: String,
                                     streams: EventStreamEnvironment) throws {
        let taken = ["/livez", "/healthz", "/readyz", MetricsEndpoint.path]
        guard router.allowedMethods(path: path) == nil, !taken.contains(path) else {
            throw StartFailure(description: "server.websocket_echo_path: \(path) is already a route of the service")
        }
        let maxMessageBytes = streams.maxClientMessageBytes
        let keepAlive = streams.heartbeatInterval
        let completeProblem = router.completeProblem
        router.get(path) { request in
            WebSocketEcho.respond(to: request, maxMessageBytes: maxMessageBytes, keepAliveInterval: keepAlive,
                                  completeProblem: completeProblem)
        }
    }

    /// Builds the core and the router, starts the server(s) (their built-in `/livez`,
    /// `/healthz`, `/readyz` answer before the router) and returns how to drain everything.
    static func start(configuration: ServiceConfiguration, authenticator: Authenticator,
                      metrics: PrometheusExporter?, database: RunningDatabase? = nil,
                      logger: Logger) throws -> RunningService {
        let settings = configuration.server
        // Read the certificate and key before anything starts: a bad file must stop the start.
        let tlsContext: TLSContext?
        do {
            tlsContext = try settings.makeTLSContext()
        } catch {
            throw StartFailure(description: "server.tls: \(error)")
        }
        let service: ExecutionService
        do {
            service = try ExecutionService(settings: configuration.service, authenticator: authenticator,
                                           logger: Logger(label: "isolationd.service"), shared: database?.stores)
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
        let streamCounters = EventStreamCounters()
        let streams = EventStreamEnvironment(hub: service.hub, authenticator: service.authenticator,
                                             counters: streamCounters, settings: service.streams, factory: service.factory,
                                             journal: service.journal)
        StreamRoutes.install(on: &router, environment: streams)
        if let echoPath = settings.websocketEchoPath {
            try installWebSocketEcho(on: &router, path: echoPath, streams: streams)
        }
        // Last, so the request metrics know every route template (the streams' too).
        let requestMetrics = endpoint.map { _ in HTTPMetrics(routes: router.patterns + [MetricsEndpoint.path]) }
        var databaseFamilies: (@Sendable (inout PrometheusExposition) -> Void)?
        if let database {
            databaseFamilies = { out in DatabaseMetrics.write(database, service: service, to: &out) }
        }
        endpoint?.install(on: &router, service: service, requestMetrics: requestMetrics, streamCounters: streamCounters,
                          more: databaseFamilies)
        let accessLog = configuration.logging.accessLog ? Logger(label: "isolationd.access") : nil
        let responder = APIResponder(router: router, metrics: requestMetrics, accessLog: accessLog,
                                     authenticator: service.authenticator, cors: settings.corsPolicy)

        // The responder writes the one access log (with the request id).
        let separateTLSPort = settings.tls?.port
        // Not ready while the database is down: the load balancer sends requests elsewhere.
        let readiness = database.map { database in
            [ReadinessCheck(name: "database") {
                if case .down(let reason, _) = database.pool.health { return reason }
                return nil
            }]
        } ?? []
        var primaryConfiguration = settings.httpServerConfiguration(tls: separateTLSPort == nil ? tlsContext : nil)
        primaryConfiguration.readinessChecks = readiness
        let primary = HTTPServer(configuration: primaryConfiguration, responder: responder, logger: Logger(label: "isolationd.http"))
        let secondary = separateTLSPort.map { port in
            var configuration = settings.httpServerConfiguration(tls: tlsContext, port: port)
            configuration.readinessChecks = readiness
            return HTTPServer(configuration: configuration, responder: responder, logger: Logger(label: "isolationd.https"))
        }
        let servers = [primary] + (secondary.map { [$0] } ?? [])
        let drainDelay = Duration.seconds(settings.drain.delaySeconds)
        do {
            for server in servers { try server.start() }
        } catch {
            for server in servers { server.stop() }
            Task {
                await service.shutdown(deadline: .zero)
                await database?.stop()
            }
            throw StartFailure(description: "\(error)")
        }
        for server in servers { serverReference.attach(server) }
        return RunningService(port: primary.boundPort, portIsTLS: tlsContext != nil && secondary == nil,
                              tlsPort: secondary?.boundPort) {
            // In order (issue 12, item 7): readiness turns 503 at once; through the drain delay
            // the service takes and runs work as usual (load balancers take the replica out
            // meanwhile); then the factory stops taking engines and runs, gives running runs
            // their grace and ends the rest with reason `shutdown` (those last events still
            // reach open streams); then the servers drain: accepting stops, streams end with
            // `server_shutdown`, in-flight requests finish.
            for server in servers { server.markNotReady() }
            if drainDelay > .zero { try? await Task.sleep(for: drainDelay) }
            await service.shutdown()
            await withTaskGroup(of: Void.self) { group in
                for server in servers { group.addTask { await server.drain() } }
            }
            for server in servers { server.stop() }
            // Last: the engines are gone (their slots released), so the replica leaves cleanly.
            await database?.stop()
        }
    }
}
