import ExecutionCore
import HTTPServer
import Synchronization

/// `GET /metrics`: the Prometheus text exposition (docs/metrics.md). First what the executable
/// renders (`isolationd_build_info` and the `process_*` families), then the service's families
/// copied from the server, the core and the streams at scrape time (`ServiceFigures`), then the
/// request metrics. Every family has `# HELP` and `# TYPE`; no metric carries a user, run or
/// raw-path label.
public struct MetricsEndpoint: Sendable {
    /// The executable's families as Prometheus text (whole families, HELP and TYPE included).
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
    /// when they are installed (live streams, how streams ended, what they wrote). `more` writes
    /// families the executable keeps beside the service (the database pool's, issue 13).
    public func install(on router: inout Router, service: ExecutionService, requestMetrics: HTTPMetrics?,
                        streamCounters: EventStreamCounters? = nil,
                        more: (@Sendable (inout PrometheusExposition) -> Void)? = nil) {
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
            var text = PrometheusExposition(reservingCapacity: 16_384)
            ServiceFigures.write(service: service, server: endpoint.server.counters, streams: streamCounters, to: &text)
            requestMetrics?.write(to: &text)
            more?(&text)
            return HTTPResponse(status: .ok, contentType: endpoint.contentType, body: endpoint.render() + text.bytes)
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
            sum.requestBodyBytesInFlight += counters.requestBodyBytesInFlight
            sum.requestBodiesRefused += counters.requestBodiesRefused
            sum.acceptsDeferred += counters.acceptsDeferred
            sum.streamBacklogPeakBytes = max(sum.streamBacklogPeakBytes, counters.streamBacklogPeakBytes)
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
