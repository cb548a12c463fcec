import CoreMetrics
import ExecutionCore
import HTTPServer
import Synchronization

/// `GET /metrics`: refreshes the gauges read from the core and the server (open connections,
/// factory figures, breaker state, runs by outcome, stream subscribers, events published and
/// cut-off subscribers, live contexts, idempotency keys, the event streams' counters), then renders the registry (the
/// Prometheus text the executable's exporter makes) followed by the request metrics. No metric
/// carries a user, run or raw-path label.
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

    /// The route's template, for `HTTPMetrics(routes:)`.
    public static let path = "/metrics"

    /// Installs `GET /metrics`. Install it last: `requestMetrics` is made from the router's
    /// templates (plus `MetricsEndpoint.path`). `streamCounters` are the event streams' counters,
    /// when they are installed (live streams, how streams ended, what they wrote).
    public func install(on router: inout Router, service: ExecutionService, requestMetrics: HTTPMetrics?,
                        streamCounters: EventStreamCounters? = nil) {
        let gauges = CoreGauges()
        let endpoint = self
        router.get(MetricsEndpoint.path) { request in
            if endpoint.requireAdmin {
                do throws(AuthError) {
                    let principal = try service.authenticator.authenticate(headers: request.headers)
                    guard principal.isAdmin else { return ProblemMapping.forbidden(role: "admin").response() }
                } catch {
                    return ProblemMapping.problem(for: error).response()
                }
            }
            gauges.refresh(service: service, server: endpoint.server.counters, streams: streamCounters)
            var body = endpoint.render()
            if let requestMetrics { body += requestMetrics.render() }
            return HTTPResponse(status: .ok, contentType: endpoint.contentType, body: body)
        }
    }
}

/// The HTTP servers a metrics endpoint reads its connection counters from, attached after start
/// (the servers are made after the router that serves `/metrics`): the plain listener and, when
/// configured beside it, the TLS one. Their counters are summed.
///
/// Each reference is published through an atomic word holding a retained pointer (0: none), not
/// a Mutex: readers on the loops and the one writer then synchronise in a way ThreadSanitizer
/// sees (Synchronization's Mutex is a futex it cannot follow on Linux).
public final class ServerReference: Sendable {
    private let first = Atomic<UInt>(0)
    private let second = Atomic<UInt>(0)
    public init() {}

    /// Attaches `server` to the first free slot (two at most; later calls are ignored).
    public func attach(_ server: HTTPServer) {
        let retained = UInt(bitPattern: Unmanaged.passRetained(server).toOpaque())
        if first.compareExchange(expected: 0, desired: retained, ordering: .releasing).exchanged { return }
        if second.compareExchange(expected: 0, desired: retained, ordering: .releasing).exchanged { return }
        if let pointer = UnsafeRawPointer(bitPattern: retained) {
            Unmanaged<HTTPServer>.fromOpaque(pointer).release()
        }
    }

    var counters: HTTPServerCounters? {
        var total: HTTPServerCounters?
        for value in [first.load(ordering: .acquiring), second.load(ordering: .acquiring)] {
            guard value != 0, let pointer = UnsafeRawPointer(bitPattern: value) else { continue }
            // Never released while attached (the reference lives as long as the process's servers).
            let counters = Unmanaged<HTTPServer>.fromOpaque(pointer).takeUnretainedValue().counters
            var sum = total ?? HTTPServerCounters()
            sum.openConnections += counters.openConnections
            sum.acceptedConnections += counters.acceptedConnections
            sum.requestsServed += counters.requestsServed
            sum.rejectedConnections += counters.rejectedConnections
            total = sum
        }
        return total
    }

    deinit {
        for value in [first.load(ordering: .acquiring), second.load(ordering: .acquiring)] {
            if value != 0, let pointer = UnsafeRawPointer(bitPattern: value) {
                Unmanaged<HTTPServer>.fromOpaque(pointer).release()
            }
        }
    }
}

/// Gauges mirroring the core's own counters at scrape time (the core keeps each figure in one
/// place; these only copy it).
final class CoreGauges: Sendable {
    private func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> Gauge {
        Gauge(label: label, dimensions: dimensions)
    }

    func refresh(service: ExecutionService, server: HTTPServerCounters?, streams counters: EventStreamCounters? = nil) {
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
        gauge("isolationd_event_logs_live").record(hub.userLogs)
        gauge("isolationd_event_logs_evicted").record(Int64(clamping: hub.evictedLogs))
        if let counters {
            let streams = counters.statistics
            gauge("isolationd_streams_live").record(counters.liveStreamCount)
            gauge("isolationd_streams_opened").record(streams.opened)
            for (reason, count) in [("slow_consumer", streams.endedSlowConsumer), ("server_shutdown", streams.endedShutdown),
                                    ("client_gone", streams.endedClientGone), ("run_finished", streams.endedRunFinished)] {
                gauge("isolationd_streams_ended", [("reason", reason)]).record(count)
            }
            gauge("isolationd_stream_heartbeats").record(streams.heartbeats)
            for transport in StreamTransport.allCases {
                gauge("isolationd_stream_events_written", [("transport", transport.rawValue)])
                    .record(streams.eventsWritten[transport] ?? 0)
                gauge("isolationd_stream_event_bytes_written", [("transport", transport.rawValue)])
                    .record(streams.eventBytesWritten[transport] ?? 0)
            }
        }
        gauge("isolationd_contexts_live").record(service.contexts.totalCount)
        gauge("isolationd_idempotency_keys").record(service.idempotency.count)
    }
}
