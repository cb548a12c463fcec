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
        try idempotent.run(request.http, route: "/v1/contexts", userID: request.userID, now: { () throws(ProblemDetails) -> HTTPResponse in
            let body = try JSONBody.read(request.http)
            try body.refuseUnknown(allowed: Self.createFields)
            let threadID = try body.requiredString("thread_id")
            let runID = try body.optionalString("run_id")
            let websocketClientID = try body.optionalString("websocket_client_id")
            let agentContext = try body.optionalObject("agent_context")
            let auditMetadata = try body.optionalObject("audit_metadata")
            let context: UserExecutionContext
            do throws(ContextValidationError) {
                context = try service.contextPolicy.makeContext(
                    userID: request.userID, threadID: threadID, runID: runID, websocketClientID: websocketClientID,
                    agentContext: agentContext, auditMetadata: auditMetadata, clock: service.clock)
            } catch {
                throw ProblemMapping.problem(for: error)
            }
            try register(context)
            return Self.created(context)
        })
    }

    func register(_ context: UserExecutionContext) throws(ProblemDetails) {
        do throws(ContextRegistryError) {
            try service.contexts.register(context)
        } catch {
            throw ProblemMapping.problem(for: error, retryAfterSeconds: min(60, service.settings.contexts.ttlSeconds))
        }
    }

    func lookup(_ request: APIRequest) throws(ProblemDetails) -> UserExecutionContext {
        try request.owned(.context) { service.contexts.context(requestID: $0, userID: $1) }
    }

    /// The caller's live contexts, newest first, a page (`limit`, `cursor`) of summaries at a time.
    @Sendable func list(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let query = try ListQuery(request.http, path: "/v1/contexts", list: "contexts")
        let page = service.contexts.contexts(userID: request.userID, before: query.before, limit: query.limit)
        return query.answer(page.items.map(Summaries.context), next: page.next)
    }

    @Sendable func read(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        HTTPResponse(status: .ok, contentType: "application/json", body: ContextRepresentation.bytes(try lookup(request)))
    }

    @Sendable func audit(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        APIRoutes.json(.ok, try lookup(request).auditTrail(now: service.clock.now()).jsonValue)
    }

    /// Deleting a context deletes its descendants (child contexts, their children...) with it, and
    /// cleans the engines bound to any of them (their runs end `engine_cleaned`).
    @Sendable func delete(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let context = try lookup(request)
        guard let removed = service.contexts.removeWithDescendants(requestID: context.requestID, userID: request.userID) else {
            throw ProblemMapping.notFound(.context)
        }
        for requestID in removed {
            service.factory.cleanupEngines(forContextRequestID: requestID, userID: request.userID)
        }
        return HTTPResponse(status: .noContent)
    }

    @Sendable func createChild(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        let parent = try lookup(request)
        let body = try JSONBody.read(request.http)
        try body.refuseUnknown(allowed: Self.childFields)
        let operationName = try body.requiredString("operation_name")
        let agentContext = try body.optionalObject("agent_context")
        let auditMetadata = try body.optionalObject("audit_metadata")
        let child: UserExecutionContext
        do throws(ContextValidationError) {
            child = try parent.child(operationName: operationName, agentContext: agentContext,
                                     auditMetadata: auditMetadata, policy: service.contextPolicy, clock: service.clock)
        } catch {
            throw ProblemMapping.problem(for: error)
        }
        try register(child)
        // The parent may have been deleted since it was looked up: a child must not outlive it.
        guard service.contexts.context(requestID: parent.requestID, userID: request.userID) != nil else {
            service.contexts.remove(requestID: child.requestID, userID: request.userID)
            throw ProblemMapping.notFound(.context)
        }
        return Self.created(child)
    }
}
