import ExecutionCore
import HTTPServer

/// `/v1/runs/{id}`: a run's record, and cancel (owner only, idempotent).
struct RunRoutes {
    let service: ExecutionService

    func install(on router: inout Router) {
        let auth = service.authenticator
        router.get("/v1/runs/:id", handler: APIRoutes.authenticated(auth, read))
        router.post("/v1/runs/:id/cancel", maxBodySize: 1024, handler: APIRoutes.authenticated(auth, cancel))
    }

    /// The run record plus the links a client follows next.
    static func representation(_ run: RunSnapshot) -> JSONValue {
        guard case .object(var object) = run.jsonValue else { return run.jsonValue }
        object["links"] = .object(["self": .string("/v1/runs/" + run.id),
                                   "events": .string("/v1/runs/" + run.id + "/events"),
                                   "cancel": .string("/v1/runs/" + run.id + "/cancel"),
                                   "engine": .string("/v1/engines/" + run.engineID)])
        return .object(object)
    }

    @Sendable func read(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let run = try request.owned(.run) { service.factory.run(id: $0, userID: $1) }
        return APIRoutes.json(.ok, Self.representation(run))
    }

    /// 202 while the run stops (`cancelling`); 200 when it is terminal (now or before).
    @Sendable func cancel(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let id = try request.pathID(of: .run)
        let body = try JSONBody.read(request.http, required: false)
        try body.refuseUnknown(allowed: [])
        switch service.factory.cancelRun(id: id, userID: request.userID) {
        case .cancelling(let run): return APIRoutes.json(.accepted, Self.representation(run))
        case .cancelled(let run), .alreadyTerminal(let run): return APIRoutes.json(.ok, Self.representation(run))
        case .notFound: throw ProblemMapping.notFound(.run)
        }
    }
}
