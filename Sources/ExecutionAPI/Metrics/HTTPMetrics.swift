#if canImport(Glibc)
import Glibc
#endif
import CoreMetrics
import Synchronization

/// Request metrics by route template, method and status: `isolationd_http_requests_total` and the
/// latency histogram `isolationd_http_request_duration_seconds` by route. Labels are route
/// templates, methods and status codes only: never a user, a run or a raw path. Handles are
/// made once per label set and cached, so the request path does one dictionary probe per metric.
public final class HTTPMetrics: Sendable {
    struct CounterKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private let counters = Mutex<[CounterKey: CoreMetrics.Counter]>([:])
    private let timers = Mutex<[String: CoreMetrics.Timer]>([:])
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    public init() {}

    /// Records one answered request. `route` is the template (`/v1/engines/:id`), or
    /// `unmatched` for paths no route serves.
    public func record(route: String, method: String, status: Int, nanoseconds: Int64) {
        let methodLabel = HTTPMetrics.knownMethods.contains(method) ? method : "other"
        let key = CounterKey(route: route, method: methodLabel, status: status)
        let counter = counters.withLock { cache in
            if let existing = cache[key] { return existing }
            let made = CoreMetrics.Counter(label: "isolationd_http_requests_total",
                                           dimensions: [("route", route), ("method", methodLabel), ("status", String(status))])
            cache[key] = made
            return made
        }
        counter.increment()
        let timer = timers.withLock { cache in
            if let existing = cache[route] { return existing }
            let made = CoreMetrics.Timer(label: "isolationd_http_request_duration_seconds", dimensions: [("route", route)])
            cache[route] = made
            return made
        }
        timer.recordNanoseconds(nanoseconds)
    }

    /// Monotonic nanoseconds, for request latencies.
    @inline(__always)
    public static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
    }
}
