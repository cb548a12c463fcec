import ExecutionCore
import HTTPServer

/// `GET /v1/agents` (what the configuration offers) and `GET /v1/factory` (role admin).
struct ServiceRoutes {
    let service: ExecutionService

    func install(on router: inout Router) {
        let auth = service.authenticator
        router.get("/v1/agents", handler: APIRoutes.authenticated(auth, agents))
        router.get("/v1/factory", handler: APIRoutes.authenticated(auth, factory))
    }

    @Sendable func agents(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        APIRoutes.json(.ok, .object(["agents": .array(service.agents.descriptors.map(\.json))]))
    }

    /// The factory's metrics, its breaker and limits, and the engines by state. Per-user figures
    /// are counts keyed by user id (admins see them; metrics never carry them as labels).
    @Sendable func factory(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        guard request.principal.isAdmin else { throw ProblemMapping.forbidden(role: "admin") }
        let factory = service.factory
        let metrics = factory.metrics
        let configuration = factory.configuration
        let value: JSONValue = .object([
            "metrics": metrics.jsonValue,
            "breaker": .object([
                "state": .string(factory.breaker.state.rawValue),
                "consecutive_failures": .integer(Int64(factory.breaker.consecutiveFailures)),
                "failure_threshold": .integer(Int64(factory.breaker.failureThreshold)),
                "cooldown_seconds": .double(factory.breaker.cooldown.secondsDouble),
            ]),
            "limits": .object([
                "max_engines_per_user": .integer(Int64(configuration.maxEnginesPerUser)),
                "max_engines_total": .integer(Int64(configuration.maxEnginesTotal)),
                "idle_timeout_seconds": .double(configuration.idleTimeout.secondsDouble),
                "max_lifetime_seconds": .double(configuration.maxLifetime.secondsDouble),
                "max_concurrent_runs": .integer(Int64(configuration.engine.maxConcurrentRuns)),
                "max_queued_runs": .integer(Int64(configuration.engine.maxQueuedRuns)),
            ]),
            "active_engines": .object([
                "count": .integer(Int64(metrics.activeEnginesCount)),
                "users": .integer(Int64(metrics.perUserActive.count)),
            ]),
            "shutting_down": .bool(factory.isShutDown),
        ])
        return APIRoutes.json(.ok, value)
    }
}
