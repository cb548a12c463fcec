import ExecutionCore
import HTTPServer

/// `/v1/contexts`: create, list, read, derive children, audit, delete. Contexts belong to the
/// authenticated user; another user's id is answered exactly like an unknown one.
struct ContextRoutes {
    let service: ExecutionService
    let idempotent: IdempotentExecution

    static let createFields = ["thread_id", "run_id", "websocket_client_id", "agent_context", "audit_metadata"]
    static let childFields = ["operation_name", "agent_context", "audit_metadata"]

    func install(on router: inout Router) {
        let auth = service.authenticator
        let bodyLimit = Self.bodyLimit(maxJSONBytes: service.settings.contexts.maxJSONBytes)
        router.post("/v1/contexts", maxBodySize: bodyLimit, handler: APIRoutes.authenticated(auth, create))
        router.get("/v1/contexts", handler: APIRoutes.authenticated(auth, list))
        router.get("/v1/contexts/:id", handler: APIRoutes.authenticated(auth, read))
        router.delete("/v1/contexts/:id", handler: APIRoutes.authenticated(auth, delete))
        router.post("/v1/contexts/:id/children", maxBodySize: bodyLimit, handler: APIRoutes.authenticated(auth, createChild))
        router.get("/v1/contexts/:id/audit", handler: APIRoutes.authenticated(auth, audit))
    }

    /// The largest create or child body: two JSON objects of at most max_json_bytes each, plus
    /// ids and syntax.
    static func bodyLimit(maxJSONBytes: Int) -> Int { 2 * maxJSONBytes + 16_384 }

    static func location(_ context: UserExecutionContext) -> String { "/v1/contexts/" + context.requestID }

    static func created(_ context: UserExecutionContext) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        headers.add("Location", location(context))
        return HTTPResponse(status: .created, headers: headers, body: .bytes(ContextRepresentation.bytes(context)))
    }

    @Sendable func create(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        if service.contexts.answersInline { // the in-memory store: answered here, no LaterAnswer
            return try idempotent.run(request.http, route: "/v1/contexts", userID: request.userID) { [self] () throws(ProblemDetails) in
                let context = try newContext(from: request)
                try registerInline(context)
                return Self.created(context)
            }
        }
        return try idempotent.run(request.http, route: "/v1/contexts", userID: request.userID) { [self] answer in
            let context: UserExecutionContext
            do throws(ProblemDetails) {
                context = try newContext(from: request)
            } catch {
                return answer(.failure(error))
            }
            register(context) { registered in answer(registered.map { Self.created(context) }) }
        }
    }

    /// Registers `context`; a refusal (bounds, budget, store unreachable) becomes its problem.
    func register(_ context: UserExecutionContext, then: @escaping @Sendable (Result<Void, ProblemDetails>) -> Void) {
        if service.contexts.answersInline { // the in-memory store: no completion to allocate
            do throws(ProblemDetails) {
                try registerInline(context)
                then(.success(()))
            } catch {
                then(.failure(error))
            }
            return
        }
        let retryAfter = registerRetryAfter
        service.contexts.register(context) { result in
            then(result.mapError { ProblemMapping.problem(for: $0, retryAfterSeconds: retryAfter) })
        }
    }

    /// `register` on a store that answers inline (`answersInline`).
    private func registerInline(_ context: UserExecutionContext) throws(ProblemDetails) {
        do throws(ContextRegistryError) {
            try service.contexts.register(context)
        } catch {
            throw ProblemMapping.problem(for: error, retryAfterSeconds: registerRetryAfter)
        }
    }

    /// A refused registration's Retry-After: contexts free up as others expire.
    private var registerRetryAfter: Double { min(60, service.settings.contexts.ttlSeconds) }

    /// Answers with what `respond` makes of the caller's context named by the path (an
    /// implausible id, an unknown one and another user's are the same 404; an unreachable store
    /// is 503), through `LaterAnswer`: at once from the in-memory store.
    func withContext(_ request: APIRequest,
                     _ respond: @escaping @Sendable (UserExecutionContext, @escaping LaterAnswer.Answer) -> Void) throws(ProblemDetails) -> HTTPResponse {
        let id = try request.pathID(of: .context)
        return LaterAnswer.respond { answer in
            service.contexts.context(requestID: id, userID: request.userID) { result in
                switch result {
                case .success(let context?): respond(context, answer)
                case .success(nil): answer(.failure(ProblemMapping.notFound(.context)))
                case .failure: answer(.failure(ProblemMapping.databaseUnavailable))
                }
            }
        }
    }

    /// The caller's live contexts, newest first, a page (`limit`, `cursor`) of summaries at a time.
    @Sendable func list(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let query = try ListQuery(request.http, path: "/v1/contexts", list: "contexts")
        if service.contexts.answersInline {
            let page = service.contexts.contexts(userID: request.userID, before: query.before, limit: query.limit)
            return query.answer(page.items.map(Summaries.context), next: page.next)
        }
        return LaterAnswer.respond { answer in
            service.contexts.contexts(userID: request.userID, before: query.before, limit: query.limit) { result in
                switch result {
                case .success(let page): answer(.success(query.answer(page.items.map(Summaries.context), next: page.next)))
                case .failure: answer(.failure(ProblemMapping.databaseUnavailable))
                }
            }
        }
    }

    /// The in-memory store's context for the path id, read directly (the GET routes' fast path).
    func inlineLookup(_ request: APIRequest) throws(ProblemDetails) -> UserExecutionContext {
        try request.owned(.context) { service.contexts.context(requestID: $0, userID: $1) }
    }

    static func readAnswer(_ context: UserExecutionContext) -> HTTPResponse {
        HTTPResponse(status: .ok, contentType: "application/json", body: ContextRepresentation.bytes(context))
    }

    static func auditAnswer(_ context: UserExecutionContext, service: ExecutionService) -> HTTPResponse {
        APIRoutes.json(.ok, context.auditTrail(now: service.clock.now()).jsonValue)
    }

    @Sendable func read(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        if service.contexts.answersInline { return Self.readAnswer(try inlineLookup(request)) }
        return try withContext(request) { context, answer in answer(.success(Self.readAnswer(context))) }
    }

    @Sendable func audit(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        if service.contexts.answersInline { return Self.auditAnswer(try inlineLookup(request), service: service) }
        return try withContext(request) { [service] context, answer in answer(.success(Self.auditAnswer(context, service: service))) }
    }

    /// Deleting a context deletes its descendants (child contexts, their children...) with it, and
    /// cleans the engines bound to any of them (their runs end `engine_cleaned`): on this replica;
    /// another replica's engines of a deleted context end with their idle or lifetime limits.
    @Sendable func delete(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        try withContext(request) { [service] context, answer in
            service.contexts.removeWithDescendants(requestID: context.requestID, userID: request.userID) { result in
                switch result {
                case .success(let removed?):
                    for requestID in removed {
                        service.factory.cleanupEngines(forContextRequestID: requestID, userID: request.userID)
                    }
                    answer(.success(HTTPResponse(status: .noContent)))
                case .success(nil): answer(.failure(ProblemMapping.notFound(.context)))
                case .failure: answer(.failure(ProblemMapping.databaseUnavailable))
                }
            }
        }
    }

    @Sendable func createChild(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        try withContext(request) { [self] parent, answer in
            let child: UserExecutionContext
            do throws(ProblemDetails) {
                child = try newChild(of: parent, from: request)
            } catch {
                return answer(.failure(error))
            }
            register(child) { registered in
                if case .failure(let problem) = registered { return answer(.failure(problem)) }
                confirmParent(of: child, userID: request.userID, answer)
            }
        }
    }

    /// The parent may have been deleted since it was looked up: a child must not outlive it, so
    /// it is taken back when its parent is gone (or cannot be seen).
    private func confirmParent(of child: UserExecutionContext, userID: String, _ answer: @escaping LaterAnswer.Answer) {
        guard let parentID = child.parentRequestID else { return answer(.success(Self.created(child))) }
        service.contexts.context(requestID: parentID, userID: userID) { [service] result in
            if case .success(_?) = result { return answer(.success(Self.created(child))) }
            service.contexts.removeWithDescendants(requestID: child.requestID, userID: userID) { _ in
                switch result {
                case .failure: answer(.failure(ProblemMapping.databaseUnavailable))
                case .success: answer(.failure(ProblemMapping.notFound(.context)))
                }
            }
        }
    }

    /// The context a create request's body describes, validated.
    func newContext(from request: APIRequest) throws(ProblemDetails) -> UserExecutionContext {
        let body = try JSONBody.read(request.http)
        try body.refuseUnknown(allowed: Self.createFields)
        let threadID = try body.requiredString("thread_id")
        let runID = try body.optionalString("run_id")
        let websocketClientID = try body.optionalString("websocket_client_id")
        let agentContext = try body.optionalObject("agent_context")
        let auditMetadata = try body.optionalObject("audit_metadata")
        do throws(ContextValidationError) {
            return try service.contextPolicy.makeContext(
                userID: request.userID, threadID: threadID, runID: runID, websocketClientID: websocketClientID,
                agentContext: agentContext, auditMetadata: auditMetadata, clock: service.clock)
        } catch {
            throw ProblemMapping.problem(for: error)
        }
    }

    /// The child of `parent` a children request's body describes, validated.
    func newChild(of parent: UserExecutionContext, from request: APIRequest) throws(ProblemDetails) -> UserExecutionContext {
        let body = try JSONBody.read(request.http)
        try body.refuseUnknown(allowed: Self.childFields)
        let operationName = try body.requiredString("operation_name")
        let agentContext = try body.optionalObject("agent_context")
        let auditMetadata = try body.optionalObject("audit_metadata")
        do throws(ContextValidationError) {
            return try parent.child(operationName: operationName, agentContext: agentContext,
                                    auditMetadata: auditMetadata, policy: service.contextPolicy, clock: service.clock)
        } catch {
            throw ProblemMapping.problem(for: error)
        }
    }
}
