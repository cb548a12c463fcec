import ExecutionCore
import HTTPServer

/// `/v1/runs`: the caller's runs, a page of summaries at a time; `/v1/runs/{id}`: a run's record
/// with its result; and cancel (owner only, idempotent).
struct RunRoutes {
    let service: ExecutionService

    func install(on router: inout Router) {
        let auth = service.authenticator
        router.get("/v1/runs", handler: APIRoutes.authenticated(auth, list))
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

    static let stateWords = RunState.allCases.map(\.rawValue)

    /// The caller's runs (live, and ended ones their engines still keep), newest first, filtered
    /// by `engine_id`, `thread_id` and `state`; summaries only (no result, no error text).
    @Sendable func list(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        var query = try ListQuery(request.http, path: "/v1/runs", list: "runs")
        let engineID = try query.identifier(request.http, "engine_id")
        let threadID = try query.identifier(request.http, "thread_id")
        let state = try query.word(request.http, "state", of: Self.stateWords).flatMap(RunState.init(rawValue:))
        let filter = RunListFilter(engineID: engineID, threadID: threadID, state: state)
        let page = service.factory.runs(userID: request.userID, filter: filter, before: query.before, limit: query.limit)
        return query.answer(page.items.map(Summaries.run), next: page.next)
    }

    /// This replica's engines first; on a journal (issue 13), a run of another replica (or of
    /// an engine that is gone) is read from the shared run records.
    @Sendable func read(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let id = try request.pathID(of: .run)
        if let run = service.factory.run(id: id, userID: request.userID) { return APIRoutes.json(.ok, Self.representation(run)) }
        guard let journal = service.journal else { throw ProblemMapping.notFound(.run) }
        return LaterAnswer.respond { answer in
            journal.findRun(id: id, userID: request.userID) { result in
                switch result {
                case .success(let run?): answer(.success(APIRoutes.json(.ok, Self.representation(run))))
                case .success(nil): answer(.failure(ProblemMapping.notFound(.run)))
                case .failure: answer(.failure(ProblemMapping.databaseUnavailable))
                }
            }
        }
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
