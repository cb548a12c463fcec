@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Testing

@Suite("Request metrics")
struct HTTPMetricsTests {
    @Test("counts by template (as the OpenAPI document writes it), method and status; histogram by route; no raw paths")
    func recordsAndRenders() async throws {
        let harness = try RouteHarness()
        let metrics = HTTPMetrics(routes: harness.router.patterns)
        let responder = APIResponder(router: harness.router, metrics: metrics)
        for path in ["/v1/contexts/abc-1", "/v1/contexts/abc-2", "/v1/agents", "/no/such/path"] {
            _ = responder.respond(to: HTTPRequest(method: .get, target: path))
        }
        _ = responder.respond(to: HTTPRequest(method: .init(rawValue: "BREW"), target: "/v1/agents"))
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains(#"isolationd_http_requests_total{route="/v1/contexts/{id}",method="GET",status="401"} 2"#))
        #expect(text.contains(#"isolationd_http_requests_total{route="/v1/agents",method="GET",status="401"} 1"#))
        #expect(text.contains(#"isolationd_http_requests_total{route="unmatched",method="GET",status="404"} 1"#))
        #expect(text.contains(#"isolationd_http_requests_total{route="/v1/agents",method="other",status="501"} 1"#))
        #expect(text.contains(#"isolationd_http_request_duration_seconds_count{route="/v1/contexts/{id}"} 2"#))
        #expect(text.contains(#"isolationd_http_request_duration_seconds_bucket{route="/v1/agents",le="+Inf"} 2"#))
        #expect(!text.contains("abc-1") && !text.contains("/no/such/path") && !text.contains(":id"))
        #expect(text.hasPrefix("# HELP isolationd_http_requests_total "))
        #expect(text.contains("# TYPE isolationd_http_requests_total counter\n"))
        #expect(text.contains("# TYPE isolationd_http_request_duration_seconds histogram\n"))
        #expect(ExpositionLint.problems(text).isEmpty, "\(ExpositionLint.problems(text))")
        await harness.shutdown()
    }

    @Test("every route label is a path of the OpenAPI document")
    func labelsAreDocumentedPaths() async throws {
        let harness = try RouteHarness()
        let metrics = HTTPMetrics(routes: harness.router.patterns + [MetricsEndpoint.path])
        let paths = try #require(try JSONValue.parse(OpenAPIDocument.bytes(for: ServiceSettings()))["paths"]?.objectValue)
        #expect(metrics.routeLabels.count == metrics.routes.count)
        #expect(metrics.routeLabels.contains("/v1/runs/{id}/cancel"))
        for label in metrics.routeLabels where label != HTTPMetrics.unmatched {
            #expect(paths[label] != nil, "\(label) is not a path of the OpenAPI document")
        }
        await harness.shutdown()
    }

    @Test("bucket bounds print as decimal seconds")
    func seconds() {
        #expect(HTTPMetrics.seconds(500_000) == "0.0005")
        #expect(HTTPMetrics.seconds(2_500_000_000) == "2.5")
        #expect(HTTPMetrics.seconds(10_000_000_000) == "10")
    }
}
