import Platform
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Request metrics, kept in atomics (no lock on the request path) and rendered as Prometheus
/// text beside the registry's: `isolationd_http_requests_total{route,method,status}` and the
/// histogram `isolationd_http_request_duration_seconds{route}`. Labels are route templates
/// (spelled as in the OpenAPI document), a
/// small set of methods and status codes: never a user, a run or a raw path. The label sets are
/// fixed when it is made (the router's templates), so the request path only indexes arrays.
public final class HTTPMetrics: Sendable {
    /// A counter cell; a class so a fixed array of them can be shared by every loop.
    final class Cell: Sendable {
        let value = Atomic<Int>(0)
    }

    static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"]
    static let statuses = [200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 408, 409, 411, 413, 414, 415, 417,
                           422, 426, 429, 431, 500, 501, 503, 505]
    /// Histogram upper bounds in nanoseconds (0.5 ms ... 10 s).
    static let bucketBounds: [Int64] = [500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
                                        100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000,
                                        5_000_000_000, 10_000_000_000]
    public static let unmatched = "unmatched"

    /// Route templates as the router writes them (`/v1/runs/:id`), `unmatched` last.
    public let routes: [String]
    /// The same templates as the OpenAPI document writes them (`/v1/runs/{id}`): the `route` label.
    public let routeLabels: [String]
    private let routeIndex: [String: Int]
    private let statusIndex: [Int: Int]
    private let counts: [Cell]
    /// Per route: one cell per bucket, then +Inf, then the sum of nanoseconds.
    private let histograms: [Cell]

    public init(routes: [String]) {
        var unique: [String] = []
        for route in routes where !unique.contains(route) && route != HTTPMetrics.unmatched { unique.append(route) }
        unique.append(HTTPMetrics.unmatched)
        self.routes = unique
        routeLabels = unique.map(OpenAPIDocument.openAPIPath)
        routeIndex = Dictionary(uniqueKeysWithValues: unique.enumerated().map { ($1, $0) })
        statusIndex = Dictionary(uniqueKeysWithValues: HTTPMetrics.statuses.enumerated().map { ($1, $0) })
        let statusSlots = HTTPMetrics.statuses.count + 1
        counts = (0..<(unique.count * HTTPMetrics.methods.count * statusSlots)).map { _ in Cell() }
        histograms = (0..<(unique.count * (HTTPMetrics.bucketBounds.count + 2))).map { _ in Cell() }
    }

    /// The index of a route template (`unmatched` for anything else).
    public func index(ofRoute route: String) -> Int { routeIndex[route] ?? (routes.count - 1) }

    /// Records one answered request.
    public func record(routeIndex route: Int, method: String, status: Int, nanoseconds: Int64) {
        let route = min(max(route, 0), routes.count - 1)
        let methodSlot: Int = switch method {
        case "GET": 0
        case "HEAD": 1
        case "POST": 2
        case "PUT": 3
        case "PATCH": 4
        case "DELETE": 5
        case "OPTIONS": 6
        default: 7
        }
        let statusSlots = HTTPMetrics.statuses.count + 1
        let statusSlot = statusIndex[status] ?? HTTPMetrics.statuses.count
        counts[(route * HTTPMetrics.methods.count + methodSlot) * statusSlots + statusSlot].value.add(1, ordering: .relaxed)
        let base = route * (HTTPMetrics.bucketBounds.count + 2)
        var bucket = 0
        while bucket < HTTPMetrics.bucketBounds.count, nanoseconds > HTTPMetrics.bucketBounds[bucket] { bucket += 1 }
        histograms[base + bucket].value.add(1, ordering: .relaxed)
        histograms[base + HTTPMetrics.bucketBounds.count + 1].value.add(Int(clamping: max(0, nanoseconds)), ordering: .relaxed)
    }

    /// Prometheus text (format 0.0.4) of both families.
    public func render() -> [UInt8] {
        var text = PrometheusExposition()
        write(to: &text)
        return text.bytes
    }

    /// Writes both families; label sets never seen are left out, the HELP and TYPE lines never.
    public func write(to out: inout PrometheusExposition) {
        let statusSlots = HTTPMetrics.statuses.count + 1
        out.family("isolationd_http_requests_total", .counter,
                   help: "HTTP requests answered, by route template, method and status.")
        for (routeNumber, route) in routeLabels.enumerated() {
            for (methodNumber, method) in HTTPMetrics.methods.enumerated() {
                for slot in 0..<statusSlots {
                    let count = counts[(routeNumber * HTTPMetrics.methods.count + methodNumber) * statusSlots + slot].value.load(ordering: .relaxed)
                    guard count > 0 else { continue }
                    let status = slot < HTTPMetrics.statuses.count ? String(HTTPMetrics.statuses[slot]) : "other"
                    out.sample("isolationd_http_requests_total", [("route", route), ("method", method), ("status", status)], count)
                }
            }
        }
        out.family("isolationd_http_request_duration_seconds", .histogram,
                   help: "Time from a request's routing to its response, by route template.")
        let width = HTTPMetrics.bucketBounds.count + 2
        for (routeNumber, route) in routeLabels.enumerated() {
            let base = routeNumber * width
            var cumulative: [Int] = []
            var total = 0
            for bucket in 0...HTTPMetrics.bucketBounds.count {
                total += histograms[base + bucket].value.load(ordering: .relaxed)
                cumulative.append(total)
            }
            guard total > 0 else { continue }
            for (bucket, bound) in HTTPMetrics.bucketBounds.enumerated() {
                out.sample("isolationd_http_request_duration_seconds_bucket", [("route", route), ("le", Self.seconds(bound))],
                           cumulative[bucket])
            }
            out.sample("isolationd_http_request_duration_seconds_bucket", [("route", route), ("le", "+Inf")], total)
            let sum = histograms[base + width - 1].value.load(ordering: .relaxed)
            out.sample("isolationd_http_request_duration_seconds_sum", [("route", route)], formatted: Self.seconds(Int64(sum)))
            out.sample("isolationd_http_request_duration_seconds_count", [("route", route)], total)
        }
    }

    /// Nanoseconds as decimal seconds without Foundation ("0.0005", "2.5", "10").
    static func seconds(_ nanoseconds: Int64) -> String {
        let whole = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        guard fraction > 0 else { return String(whole) }
        var digits = 9
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }

    /// Monotonic nanoseconds, for request latencies.
    @inline(__always)
    public static func now() -> Int64 {
        Int64(truncatingIfNeeded: MonotonicClock.now())
    }
}
