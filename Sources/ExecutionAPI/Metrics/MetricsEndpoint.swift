import CoreMetrics
import ExecutionCore
import HTTPServer
import Synchronization

/// `GET /metrics`: refreshes the gauges read from the core and the server (open connections,
/// factory figures, breaker state, runs by outcome, stream subscribers, events published and
/// cut-off subscribers, live contexts, idempotency keys), then renders the registry (the
/// Prometheus text the executable's exporter makes). No gauge carries a user or run label.
public struct MetricsEndpoint: Sendable {
    /// The registry as Prometheus text.
    public let render: @Sendable () -> [UInt8]
    public let contentType: String
    /// Needs an authenticated admin (`metrics.require_admin`).
    public let requireAdmin: Bool
    /// The server, once started (its connection counters).
    public let server: ServerReference

    public init(render: @escaping @Sendable () -> [UInt8], contentType: String, requireAdmin: Bool,
                server: ServerReference = ServerReference()) {
        self.render = render
        self.contentType = contentType
        self.requireAdmin = requireAdmin
        self.server = server
    }

    func install(on router: inout Router, service: ExecutionService) {
        let gauges = CoreGauges()
        let endpoint = self
        router.get("/metrics") { request in
            if endpoint.requireAdmin {
                do throws(AuthError) {
                    let principal = try service.authenticator.authenticate(headers: request.headers)
                    guard principal.isAdmin else { return ProblemMapping.forbidden(role: "admin").response() }
                } catch {
                    return ProblemMapping.problem(for: error).response()
                }
            }
            gauges.refresh(service: service, server: endpoint.server.counters)
            return HTTPResponse(status: .ok, contentType: endpoint.contentType, body: endpoint.render())
        }
    }
}

/// The HTTP server a metrics endpoint reads its connection counters from, attached after start.
public final class ServerReference: Sendable {
    private let server = Mutex<HTTPServer?>(nil)
    public init() {}
    public func attach(_ server: HTTPServer) { self.server.withLock { $0 = server } }
    public func detach() { server.withLock { $0 = nil } }
    var counters: HTTPServerCounters? { server.withLock { $0 }?.counters }
}

/// Gauges mirroring the core's own counters at scrape time (the core keeps each figure in one
/// place; these only copy it).
final class CoreGauges: Sendable {
    private func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> Gauge {
        Gauge(label: label, dimensions: dimensions)
    }

    func refresh(service: ExecutionService, server: HTTPServerCounters?) {
        if let server {
            gauge("isolationd_http_open_connections").record(server.openConnections)
            gauge("isolationd_http_connections_accepted").record(server.acceptedConnections)
            gauge("isolationd_http_connections_rejected").record(server.rejectedConnections)
        }
        let factory = service.factory.metrics
        gauge("isolationd_engines_active").record(factory.activeEnginesCount)
        gauge("isolationd_engines_created").record(factory.totalEnginesCreated)
        gauge("isolationd_engines_cleaned").record(factory.totalEnginesCleaned)
        gauge("isolationd_engine_creation_errors").record(factory.creationErrors)
        gauge("isolationd_engine_cleanup_errors").record(factory.cleanupErrors)
        gauge("isolationd_engine_timeout_cleanups").record(factory.timeoutCleanups)
        gauge("isolationd_engine_user_limit_rejections").record(factory.userLimitRejections)
        gauge("isolationd_engine_global_limit_rejections").record(factory.globalLimitRejections)
        gauge("isolationd_engine_breaker_rejections").record(factory.breakerRejections)
        gauge("isolationd_users_with_engines").record(factory.perUserActive.count)
        for state in CircuitBreakerState.allCases {
            gauge("isolationd_breaker_state", [("state", state.rawValue)]).record(factory.breakerState == state ? 1 : 0)
        }
        for (outcome, count) in service.runOutcomes.counts {
            gauge("isolationd_runs_finished", [("outcome", outcome)]).record(count)
        }
        let hub = service.hub.statistics
        gauge("isolationd_stream_subscribers").record(hub.liveSubscribers)
        gauge("isolationd_events_published").record(Int64(clamping: hub.published))
        gauge("isolationd_events_delivered").record(Int64(clamping: hub.delivered))
        gauge("isolationd_stream_slow_consumer_cutoffs").record(Int64(clamping: hub.slowConsumerCutoffs))
        gauge("isolationd_events_retained").record(hub.retainedEvents)
        gauge("isolationd_contexts_live").record(service.contexts.totalCount)
        gauge("isolationd_idempotency_keys").record(service.idempotency.count)
    }
}
