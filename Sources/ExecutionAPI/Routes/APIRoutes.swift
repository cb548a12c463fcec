import ExecutionCore
import HTTPServer

/// Every REST route of the service, installed on a `Router`.
///
/// `/v1/...` routes authenticate (401 + `WWW-Authenticate`); `/openapi.json`, `/problems/{name}`
/// and `/metrics` (unless `metrics.require_admin`) do not. The event-stream routes (`/v1/events`,
/// `/v1/runs/{id}/events`, `/v1/events/ws`) are installed on the same router by `StreamRoutes`
/// (authenticating through `APIRoutes.authenticated`); the executable's `ServerAssembly` installs
/// both, then `/metrics`.
public enum APIRoutes {
    /// Installs the REST routes (`GET /metrics` is installed last, by `MetricsEndpoint.install`).
    public static func install(on router: inout Router, service: ExecutionService) {
        let idempotent = IdempotentExecution(store: service.idempotency, clock: service.clock)
        ContextRoutes(service: service, idempotent: idempotent).install(on: &router)
        EngineRoutes(service: service, idempotent: idempotent).install(on: &router)
        RunRoutes(service: service).install(on: &router)
        ServiceRoutes(service: service).install(on: &router)
        UsageRoutes(service: service).install(on: &router)
        let document = OpenAPIDocumentCache(settings: service.settings)
        router.get("/openapi.json") { _ in
            HTTPResponse(status: .ok, contentType: "application/json", body: document.bytes)
        }
        ProblemPages.install(on: &router)
        // The router's own 404/405/501 carry the same types as the API's problems.
        router.completeProblem = ServerProblemCompletion.routerProblems
    }
}
