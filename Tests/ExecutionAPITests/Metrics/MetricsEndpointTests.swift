@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Testing

/// `GET /metrics` in process: the service's families beside the executable's and the request
/// metrics, each well formed, with the figures of what was done.
@Suite("The metrics endpoint")
struct MetricsEndpointTests {
    static let processFamilies: @Sendable () -> [UInt8] = {
        var out = PrometheusExposition()
        BuildInfo(version: "9.9.9", revision: "feedbee").write(to: &out)
        return out.bytes
    }

    @Test("every family is well formed; totals are counters, levels gauges; the figures are the core's")
    func servesFamilies() async throws {
        let harness = try RouteHarness()
        var router = harness.router
        let counters = EventStreamCounters()
        let requestMetrics = HTTPMetrics(routes: router.patterns + [MetricsEndpoint.path])
        MetricsEndpoint(render: Self.processFamilies, contentType: PrometheusExposition.contentType, requireAdmin: false)
            .install(on: &router, service: harness.service, requestMetrics: requestMetrics, streamCounters: counters)
        let responder = APIResponder(router: router, metrics: requestMetrics)

        let auth = HTTPHeaders([("Authorization", "Bearer \(RouteHarness.aliceKey)"), ("Content-Type", "application/json")])
        let created = responder.respond(to: HTTPRequest(method: .post, target: "/v1/contexts", headers: auth,
                                                        body: Array(#"{"thread_id": "thread-metrics-unit"}"#.utf8)))
        #expect(created.status.code == 201)
        let scrape = responder.respond(to: HTTPRequest(method: .get, target: "/metrics"))
        #expect(scrape.status.code == 200)
        #expect(scrape.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        guard case .bytes(let bytes) = scrape.body else { Issue.record("no body"); return }
        let text = String(decoding: bytes, as: UTF8.self)

        #expect(ExpositionLint.problems(text).isEmpty, "\(ExpositionLint.problems(text))")
        #expect(text.hasPrefix("# HELP isolationd_build_info "))
        for line in [#"isolationd_build_info{version="9.9.9",revision="feedbee"} 1"#,
                     "# TYPE isolationd_engines_created_total counter", "isolationd_engines_created_total 0",
                     "# TYPE isolationd_engines_active gauge", "isolationd_contexts_live 1",
                     "# TYPE isolationd_runs_finished_total counter", #"isolationd_runs_finished_total{outcome="completed"} 0"#,
                     "# TYPE isolationd_events_published_total counter", "# TYPE isolationd_stream_subscribers gauge",
                     "# TYPE isolationd_streams_opened_total counter", "# TYPE isolationd_streams_live gauge",
                     #"isolationd_stream_written_bytes_total{transport="websocket"} 0"#,
                     #"isolationd_breaker_state{state="closed"} 1"#,
                     #"isolationd_http_requests_total{route="/v1/contexts",method="POST",status="201"} 1"#] {
            #expect(text.contains(line + "\n"), "missing: \(line)")
        }
        #expect(!text.contains("thread-metrics-unit"))
        await harness.shutdown()
    }
}
