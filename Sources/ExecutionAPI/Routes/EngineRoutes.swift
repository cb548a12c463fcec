import ExecutionCore
import HTTPServer

/// `/v1/engines`: spawn an engine for one of the user's contexts, list, read, delete; and start
/// runs on it. Deleting an engine cancels its runs.
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
        // The input's own limit, plus room for the other members (agent, if_busy).
        let runBodyLimit = service.settings.engines.maxRunInputBytes + 4096
        router.post("/v1/engines/:id/runs", maxBodySize: runBodyLimit, handler: APIRoutes.authenticated(auth, startRun))
    }

    static func representation(_ summary: EngineSummary) -> JSONValue {
        guard case .object(var object) = summary.jsonValue else { return summary.jsonValue }
        object["context_id"] = .string(summary.requestID)
        return .object(object)
    }

    @Sendable func create(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        try idempotent.run(request.http, route: "/v1/engines", userID: request.userID) { () throws(ProblemDetails) -> HTTPResponse in
            let body = try JSONBody.read(request.http)
            try body.refuseUnknown(allowed: Self.createFields)
            let contextID = try body.requiredString("context_id")
            guard APIRequest.isPlausibleID(contextID),
                  let context = service.contexts.context(requestID: contextID, userID: request.userID) else {
                throw ProblemMapping.notFound(.context)
            }
            let engine: UserExecutionEngine
            do throws(EngineCreationError) {
                engine = try service.factory.create(for: context)
            } catch {
                if case .buildFailed(let message) = error {
                    service.logger.error("engine build failed", metadata: ["error": .string(message)])
                }
                throw ProblemMapping.problem(for: error)
            }
            return APIRoutes.json(.created, Self.representation(engine.summary), location: "/v1/engines/" + engine.id)
        }
    }

    func lookup(_ request: APIRequest) throws(ProblemDetails) -> UserExecutionEngine {
        try request.owned(.engine) { service.factory.engine(id: $0, userID: $1) }
    }

    @Sendable func list(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let summaries = service.factory.summaries(userID: request.userID)
        return APIRoutes.json(.ok, .object(["engines": .array(summaries.map(Self.representation))]))
    }

    @Sendable func read(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let engine = try lookup(request)
        guard case .object(var object) = Self.representation(engine.summary) else { throw ProblemDetails.internalError }
        object["runs"] = .array(engine.runs.map(RunRoutes.representation))
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
        try idempotent.run(request.http, route: request.http.path, userID: request.userID) { () throws(ProblemDetails) -> HTTPResponse in
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
        }
    }
}
