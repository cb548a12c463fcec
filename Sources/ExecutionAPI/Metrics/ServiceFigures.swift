import ExecutionCore
import HTTPServer

/// The service's own families, copied at scrape time from where each figure is kept (the
/// server's connection counters, the factory, the run-outcome counter, the event hub, the
/// streams' counters, the context registry, the idempotency store): nothing is recorded twice.
/// Running totals are counters named `…_total`; levels (open connections, live engines,
/// subscribers) are gauges. No label carries a user, context, engine or run.
enum ServiceFigures {
    static func write(service: ExecutionService, server: HTTPServerCounters?, streams: EventStreamCounters?,
                      to out: inout PrometheusExposition) {
        if let server { writeConnections(server, to: &out) }
        writeFactory(service.factory.metrics, to: &out)
        out.family("isolationd_runs_finished_total", .counter, help: "Runs that reached a terminal state, by outcome.")
        for (outcome, count) in service.runOutcomes.counts {
            out.sample("isolationd_runs_finished_total", [("outcome", outcome)], count)
        }
        writeEvents(service.hub.statistics, to: &out)
        if let streams { writeStreams(streams, to: &out) }
        out.single("isolationd_contexts_live", .gauge, help: "Execution contexts currently registered.",
                   service.contexts.totalCount)
        out.single("isolationd_idempotency_keys", .gauge, help: "Idempotency records currently kept.",
                   service.idempotency.count)
        writeBudgets(service.ledger.figures, to: &out)
    }

    /// The budgets of retained bytes and what is held against them, by category (summed over
    /// users: no user label, ever).
    static func writeBudgets(_ budgets: BudgetFigures, to out: inout PrometheusExposition) {
        out.single("isolationd_budget_global_bytes", .gauge,
                   help: "The global budget of retained bytes (budgets.global_bytes, lowered to half the cgroup memory limit).",
                   budgets.globalBudgetBytes)
        out.single("isolationd_budget_per_user_bytes", .gauge, help: "Each user's budget of retained bytes (budgets.per_user_bytes).",
                   budgets.perUserBudgetBytes)
        out.family("isolationd_budget_retained_bytes", .gauge, help: "Bytes retained for all users now, by category.")
        for category in BudgetCategory.allCases {
            out.sample("isolationd_budget_retained_bytes", [("category", category.name)], budgets.retainedBytes[category.rawValue])
        }
        out.family("isolationd_budget_refusals_total", .counter,
                   help: "Requests refused because they would pass a budget of retained bytes, by scope (user: 429, global: 503).")
        out.sample("isolationd_budget_refusals_total", [("scope", "user")], Int(clamping: budgets.userRefusals))
        out.sample("isolationd_budget_refusals_total", [("scope", "global")], Int(clamping: budgets.globalRefusals))
    }

    static func writeConnections(_ server: HTTPServerCounters, to out: inout PrometheusExposition) {
        out.single("isolationd_http_open_connections", .gauge, help: "HTTP connections currently open.",
                   server.openConnections)
        out.single("isolationd_http_connections_accepted_total", .counter,
                   help: "HTTP connections accepted (those then refused over the connection limit included).",
                   server.acceptedConnections)
        out.single("isolationd_http_connections_rejected_total", .counter,
                   help: "HTTP connections answered 503 and closed because the connection limit was reached.",
                   server.rejectedConnections)
        out.single("isolationd_http_request_body_bytes_in_flight", .gauge,
                   help: "Request-body bytes being buffered across all connections (bounded by server.max_bodies_in_flight_bytes).",
                   server.requestBodyBytesInFlight)
        out.single("isolationd_http_request_bodies_refused_total", .counter,
                   help: "Requests answered 503 because their body would have passed server.max_bodies_in_flight_bytes.",
                   server.requestBodiesRefused)
        out.single("isolationd_http_accept_pauses_total", .counter,
                   help: "Times a loop paused accepting because server.max_accepts_per_second was used up.",
                   server.acceptsDeferred)
        out.single("isolationd_http_stream_backlog_peak_bytes", .gauge,
                   help: "The most bytes any stream or WebSocket has had queued for its socket.",
                   server.streamBacklogPeakBytes)
    }

    static func writeFactory(_ factory: FactoryMetrics, to out: inout PrometheusExposition) {
        out.single("isolationd_engines_active", .gauge, help: "Engines currently live.", factory.activeEnginesCount)
        out.single("isolationd_users_with_engines", .gauge, help: "Users currently holding at least one engine.",
                   factory.perUserActive.count)
        let totals: [(name: String, help: String, value: Int)] = [
            ("isolationd_engines_created_total", "Engines created.", factory.totalEnginesCreated),
            ("isolationd_engines_cleaned_total", "Engines cleaned up (deleted, swept or shut down).",
             factory.totalEnginesCleaned),
            ("isolationd_engine_creation_errors_total", "Engine creations that failed (invalid context, failed build).",
             factory.creationErrors),
            ("isolationd_engine_cleanup_errors_total", "Engine cleanups that found the slot accounting inconsistent.",
             factory.cleanupErrors),
            ("isolationd_engine_timeout_cleanups_total", "Engines cleaned by the sweep (idle or past their lifetime).",
             factory.timeoutCleanups),
            ("isolationd_engine_user_limit_rejections_total", "Engine creations refused by the per-user limit.",
             factory.userLimitRejections),
            ("isolationd_engine_global_limit_rejections_total", "Engine creations refused by the global limit.",
             factory.globalLimitRejections),
            ("isolationd_engine_breaker_rejections_total", "Engine creations refused while the circuit breaker was open.",
             factory.breakerRejections),
            ("isolationd_engine_sweeps_total", "Cleanup sweeps completed.", factory.sweepsCompleted),
        ]
        for total in totals { out.single(total.name, .counter, help: total.help, total.value) }
        out.family("isolationd_breaker_state", .gauge,
                   help: "The engine factory's circuit breaker: 1 for the state it is in, 0 for the others.")
        for state in CircuitBreakerState.allCases {
            out.sample("isolationd_breaker_state", [("state", state.rawValue)], factory.breakerState == state ? 1 : 0)
        }
    }

    static func writeEvents(_ hub: EventHubStatistics, to out: inout PrometheusExposition) {
        out.single("isolationd_stream_subscribers", .gauge, help: "Event subscriptions currently live.",
                   hub.liveSubscribers)
        out.single("isolationd_events_published_total", .counter, help: "Events published to the event hub.",
                   Int(clamping: hub.published))
        out.single("isolationd_events_delivered_total", .counter, help: "Events handed to subscribers' queues.",
                   Int(clamping: hub.delivered))
        out.single("isolationd_stream_slow_consumer_cutoffs_total", .counter,
                   help: "Subscriptions cut off because their queue was full (the client read too slowly).",
                   Int(clamping: hub.slowConsumerCutoffs))
        out.single("isolationd_events_retained", .gauge, help: "Events currently kept in the per-user replay rings.",
                   hub.retainedEvents)
        out.single("isolationd_event_logs_live", .gauge, help: "Per-user event logs currently in memory.", hub.userLogs)
        out.single("isolationd_event_logs_evicted_total", .counter, help: "Per-user event logs evicted from memory.",
                   Int(clamping: hub.evictedLogs))
    }

    static func writeStreams(_ counters: EventStreamCounters, to out: inout PrometheusExposition) {
        let streams = counters.statistics
        out.single("isolationd_streams_live", .gauge, help: "Event streams (SSE and WebSocket) currently open.",
                   counters.liveStreamCount)
        out.single("isolationd_streams_opened_total", .counter, help: "Event streams opened.", streams.opened)
        out.family("isolationd_streams_ended_total", .counter, help: "Event streams ended, by reason.")
        for (reason, count) in [("slow_consumer", streams.endedSlowConsumer), ("server_shutdown", streams.endedShutdown),
                                ("client_gone", streams.endedClientGone), ("run_finished", streams.endedRunFinished),
                                ("unavailable", streams.endedUnavailable)] {
            out.sample("isolationd_streams_ended_total", [("reason", reason)], count)
        }
        out.single("isolationd_stream_heartbeats_total", .counter, help: "Heartbeats written on quiet event streams.",
                   streams.heartbeats)
        out.family("isolationd_stream_events_written_total", .counter,
                   help: "Events written to stream clients, by transport.")
        for transport in StreamTransport.allCases {
            out.sample("isolationd_stream_events_written_total", [("transport", transport.rawValue)],
                       streams.eventsWritten[transport] ?? 0)
        }
        out.family("isolationd_stream_written_bytes_total", .counter,
                   help: "Event envelope bytes written to stream clients (framing excluded), by transport.")
        for transport in StreamTransport.allCases {
            out.sample("isolationd_stream_written_bytes_total", [("transport", transport.rawValue)],
                       streams.eventBytesWritten[transport] ?? 0)
        }
    }
}
