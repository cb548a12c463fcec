import ExecutionCore
import HTTPServer

/// `/v1/engines`: spawn an engine for one of the user's contexts, list, read, delete; and start
/// runs on it. Deleting an engine cancels its runs. Lists and the read carry summaries only.
struct EngineRoutes {
    let service: ExecutionService
    let idempotent: IdempotentExecution

    static let createFields = ["context_id"]
    static let runFields = ["agent", "input", "if_busy"]

    func install(on router: inout Router) {
        let auth = service.authenticator
        router.post("/v1/engines", maxBodySize: 4096, handler: APIRoutes.authenticated(auth, create))
        router.get("/v1/engines", handler: APIRoutes.authenticated(auth, list))
        router.get("/v1/engines/:id", handler: APIRoutes.authenticated(auth, read))
        router.delete("/v1/engines/:id", handler: APIRoutes.authenticated(auth, delete))
        router.post("/v1/engines/:id/runs", maxBodySize: Self.runBodyLimit(maxRunInputBytes: service.settings.engines.maxRunInputBytes), handler: APIRoutes.authenticated(auth, startRun))
    }

    /// The largest run request body: the input's own limit, plus room for the other members
    /// (agent, if_busy).
    static func runBodyLimit(maxRunInputBytes: Int) -> Int { maxRunInputBytes + 4096 }

    static func representation(_ summary: EngineSummary) -> JSONValue {
        guard case .object(var object) = summary.jsonValue else { return summary.jsonValue }
        object["context_id"] = .string(summary.requestID)
        return .object(object)
    }

    @Sendable func create(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        try idempotent.run(request.http, route: "/v1/engines", userID: request.userID) { [service] answer in
            let contextID: String
            do throws(ProblemDetails) {
                let body = try JSONBody.read(request.http)
                try body.refuseUnknown(allowed: Self.createFields)
                contextID = try body.requiredString("context_id")
                guard APIRequest.isPlausibleID(contextID) else { throw ProblemMapping.notFound(.context) }
            } catch {
                return answer(.failure(error))
            }
            // The context may be found by a shared store after a round trip: the engine is made then.
            service.contexts.context(requestID: contextID, userID: request.userID) { found in
                switch found {
                case .success(let context?): Self.create(for: context, service: service, answer)
                case .success(nil): answer(.failure(ProblemMapping.notFound(.context)))
                case .failure: answer(.failure(ProblemMapping.databaseUnavailable))
                }
            }
        }
    }

    private static func create(for context: UserExecutionContext, service: ExecutionService, _ answer: @escaping LaterAnswer.Answer) {
        // The slot may be granted by a shared store after a round trip: answered then.
        service.factory.create(for: context) { result in
            switch result {
            case .success(let engine):
                answer(.success(APIRoutes.json(.created, Self.representation(engine.summary), location: "/v1/engines/" + engine.id)))
            case .failure(let error):
                if case .buildFailed(let message) = error {
                    service.logger.error("engine build failed", metadata: ["error": .string(message)])
                }
                answer(.failure(ProblemMapping.problem(for: error)))
            }
        }
    }

    func lookup(_ request: APIRequest) throws(ProblemDetails) -> UserExecutionEngine {
        try request.owned(.engine) { service.factory.engine(id: $0, userID: $1) }
    }

    /// The caller's live engines, newest first, a page (`limit`, `cursor`) at a time.
    @Sendable func list(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let query = try ListQuery(request.http, path: "/v1/engines", list: "engines")
        let page = service.factory.summaries(userID: request.userID, before: query.before, limit: query.limit)
        return query.answer(page.items.map(Self.representation), next: page.next)
    }

    /// How many run summaries an engine's read carries; the rest are a `GET /v1/runs?engine_id=`.
    static let recentRunsInRead = 20

    /// The engine, its `recentRunsInRead` newest runs as summaries (never results), and links to
    /// the whole list: `links.runs`, and `links.runs_next` (the second page) when there is more.
    @Sendable func read(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let engine = try lookup(request)
        guard case .object(var object) = Self.representation(engine.summary) else { throw ProblemDetails.internalError }
        let filter = RunListFilter(engineID: engine.id)
        let recent = service.factory.runs(userID: request.userID, filter: filter, before: nil, limit: Self.recentRunsInRead)
        object["runs"] = .array(recent.items.map(Summaries.run))
        let runs = "/v1/runs?engine_id=" + QueryEncoding.escape(engine.id)
        var links: JSONObject = ["self": .string("/v1/engines/" + engine.id), "runs": .string(runs)]
        if let next = recent.next {
            links["runs_next"] = .string(runs + "&limit=\(Self.recentRunsInRead)&cursor=" + ListCursor.encode(next, list: "runs"))
        }
        object["links"] = .object(links)
        return APIRoutes.json(.ok, .object(object))
    }

    @Sendable func delete(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let id = try request.pathID(of: .engine)
        switch service.factory.cleanup(engineID: id, userID: request.userID) {
        case .cleaned, .alreadyCleaned: return HTTPResponse(status: .noContent)
        case .unknown: throw ProblemMapping.notFound(.engine)
        }
    }

    @Sendable func startRun(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        try idempotent.run(request.http, route: request.http.path, userID: request.userID, now: { () throws(ProblemDetails) -> HTTPResponse in
            let engine = try lookup(request)
            let body = try JSONBody.read(request.http)
            try body.refuseUnknown(allowed: Self.runFields)
            let agent = try body.requiredString("agent")
            let ifBusy = try body.optionalWord("if_busy", default: BusyPolicy.enqueue)
            let input = body.value("input", default: .object([:]))
            let run: RunSnapshot
            do throws(RunRequestError) {
                run = try engine.startRun(agent: agent, input: input, ifBusy: ifBusy)
            } catch {
                throw ProblemMapping.problem(for: error)
            }
            return APIRoutes.json(.accepted, RunRoutes.representation(run), location: "/v1/runs/" + run.id)
        })
    }
}
