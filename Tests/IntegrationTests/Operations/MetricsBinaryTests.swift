import ExecutionCore
import IsolationdTesting
import Testing

/// `GET /metrics` of the real binary after some activity: every metric family the issue asks
/// for is present, and no label carries a user, context, engine or run id.
@Suite("Prometheus metrics in the real binary")
struct MetricsBinaryTests {
    /// Family names (the text before `{` or the value) of a Prometheus exposition.
    static func families(_ text: String) -> Set<String> {
        var names = Set<String>()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let name = line.prefix { $0 != "{" && $0 != " " }
            if !name.isEmpty { names.insert(String(name)) }
        }
        return names
    }

    /// The value of the first sample whose line starts with `prefix`.
    static func value(_ text: String, _ prefix: String) -> Double? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }),
              let number = line.split(separator: " ").last else { return nil }
        return Double(number)
    }

    @Test("After a context, an engine, a run and a live stream, every family is scraped, without ids in labels")
    func everyFamily() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await APITestConfiguration.start(users: users)
        let alice = server.client(users[0])
        let stream = try await SSEClient.connect(port: server.port, path: "/v1/events", token: users[0].key)
        #expect(stream.status == 200)
        let context = try await alice.createContext(thread: "thread-metrics")
        let engine = try await alice.createEngine(contextID: context)
        let run = try await alice.startRun(engineID: engine, agent: "tools", input: #"{"query": "metrics"}"#)
        let finished = try await alice.waitForTerminalRun(run)
        #expect(finished.string("state") == "completed")
        _ = try await stream.events(1)
        _ = try await server.client(users[1]).call("GET", "/v1/runs/\(run)")  // a 404 for another user

        let scrape = try await server.client(nil).call("GET", "/metrics", authenticated: false)
        #expect(scrape.status == 200)
        #expect(scrape.contentType?.hasPrefix("text/plain") == true)
        let text = scrape.text
        let names = Self.families(text)
        let required = [
            // HTTP: requests by route and status, latency histogram, open connections
            "isolationd_http_requests_total", "isolationd_http_request_duration_seconds_bucket",
            "isolationd_http_request_duration_seconds_sum", "isolationd_http_request_duration_seconds_count",
            "isolationd_http_open_connections", "isolationd_http_connections_accepted_total",
            // the factory's counters and gauges, the breaker
            "isolationd_engines_active", "isolationd_engines_created_total", "isolationd_engines_cleaned_total",
            "isolationd_engine_creation_errors_total", "isolationd_engine_user_limit_rejections_total",
            "isolationd_engine_global_limit_rejections_total", "isolationd_engine_breaker_rejections_total",
            "isolationd_breaker_state",
            // runs by outcome
            "isolationd_runs_finished_total",
            // streams and events
            "isolationd_stream_subscribers", "isolationd_events_published_total", "isolationd_events_delivered_total",
            "isolationd_stream_slow_consumer_cutoffs_total", "isolationd_streams_live", "isolationd_streams_opened_total",
            "isolationd_streams_ended_total", "isolationd_stream_heartbeats_total", "isolationd_event_logs_live",
            "isolationd_stream_events_written_total", "isolationd_stream_written_bytes_total",
        ]
        for family in required {
            #expect(names.contains(family), "missing \(family)")
        }
        #expect(text.contains(#"isolationd_http_requests_total{route="/v1/contexts",method="POST",status="201"} 1"#))
        #expect(text.contains(#"isolationd_http_requests_total{route="/v1/runs/{id}",method="GET",status="404"} 1"#))
        #expect(text.contains(#"isolationd_breaker_state{state="closed"} 1"#))
        #expect((Self.value(text, #"isolationd_runs_finished_total{outcome="completed"}"#) ?? 0) >= 1)
        #expect(Self.value(text, "isolationd_streams_live") == 1)
        #expect(Self.value(text, "isolationd_stream_subscribers") == 1)
        #expect((Self.value(text, "isolationd_events_published_total") ?? 0) >= 2)
        #expect((Self.value(text, #"isolationd_stream_events_written_total{transport="sse"}"#) ?? 0) >= 1)
        #expect((Self.value(text, #"isolationd_stream_written_bytes_total{transport="sse"}"#) ?? 0) >= 100)
        #expect(Self.value(text, #"isolationd_stream_events_written_total{transport="websocket"}"#) == 0)
        #expect((Self.value(text, "isolationd_http_open_connections") ?? 0) >= 2)  // the stream and the scrape
        #expect((Self.value(text, "isolationd_engines_created_total") ?? 0) == 1)

        for id in [users[0].id, users[1].id, context, engine, run, "thread-metrics"] {
            #expect(!text.contains(id), "\(id) appears in /metrics")
        }
        stream.close()
        #expect(await server.stop() == 0)
    }
}
