import HTTPServer

/// One kind of problem: its name (the last part of its `type` URI and of the page that
/// describes it, `GET /problems/{name}`), its fixed title, the status it is answered with and a
/// short description for people. `ProblemType.all` is the one table of every type this service
/// answers, in every layer: the HTTP server's own rejections and the router's 404/405/501 get
/// theirs by status (`forServerStatus`), the API's problems name theirs.
public struct ProblemType: Sendable, Hashable {
    public let name: String
    public let title: String
    public let status: HTTPStatus
    public let summary: String

    /// `urn:isolationd:problem:<name>`: absolute and stable (RFC 9457 §3.1.1 recommends absolute
    /// type URIs; this service cannot know the origin clients reach it by). It resolves to a
    /// description by name: `GET /problems/<name>`.
    public var uri: String { ProblemDetails.typeURI(name) }

    /// The page describing this type.
    public var page: String { "/problems/" + name }

    init(_ name: String, _ title: String, _ status: HTTPStatus, _ summary: String) {
        self.name = name
        self.title = title
        self.status = status
        self.summary = summary
    }
}

extension ProblemType {
    public static let badRequest = ProblemType("bad-request", "Bad request", .badRequest,
        "The request could not be read: malformed syntax, framing, JSON, header, query or path parameter. The detail names what.")
    public static let unauthorized = ProblemType("unauthorized", "Authentication required", .unauthorized,
        "No valid credential was presented. Send Authorization: Bearer with an API key or a JWT; the WWW-Authenticate challenge says what was wrong.")
    public static let forbidden = ProblemType("forbidden", "Forbidden", .forbidden,
        "The credential is valid but lacks the role the operation needs (required_role).")
    public static let notFound = ProblemType("not-found", "Not found", .notFound,
        "No route matches the path, or the resource does not exist for this caller. Another user's context, engine, run or stream is answered exactly like one that never existed.")
    public static let methodNotAllowed = ProblemType("method-not-allowed", "Method not allowed", .methodNotAllowed,
        "The path exists but does not support this method. The Allow header lists the methods it does support.")
    public static let requestTimeout = ProblemType("request-timeout", "Request timeout", .requestTimeout,
        "The request head or body did not arrive in time; the connection is closed.")
    public static let engineBusy = ProblemType("engine-busy", "Engine busy", .conflict,
        "The engine runs its maximum of concurrent runs. Retry later, or start the run with if_busy enqueue or interrupt.")
    public static let engineRetiring = ProblemType("engine-retiring", "Engine retiring", .conflict,
        "The engine passed its maximum lifetime and accepts no new runs; create a new engine.")
    public static let engineCleaned = ProblemType("engine-cleaned", "Engine cleaned", .conflict,
        "The engine has been cleaned and runs nothing again; create a new engine.")
    public static let idempotencyInProgress = ProblemType("idempotency-in-progress", "Request in progress", .conflict,
        "A request with this Idempotency-Key is still being processed; retry after Retry-After.")
    public static let contentTooLarge = ProblemType("content-too-large", "Content too large", .contentTooLarge,
        "The request body (or its decompressed form) is larger than this operation accepts.")
    public static let inputTooLarge = ProblemType("input-too-large", "Run input too large", .contentTooLarge,
        "The run's input, as JSON, is larger than engines.max_run_input_bytes (limit names it). Send less, or a reference to the data.")
    public static let uriTooLong = ProblemType("uri-too-long", "URI too long", .uriTooLong,
        "The request line is longer than the server accepts.")
    public static let unsupportedMediaType = ProblemType("unsupported-media-type", "Unsupported media type", .unsupportedMediaType,
        "The body must be sent as Content-Type: application/json.")
    public static let expectationFailed = ProblemType("expectation-failed", "Expectation failed", .expectationFailed,
        "The Expect header asks for something other than 100-continue.")
    public static let validationFailed = ProblemType("validation-failed", "Validation failed", .unprocessableContent,
        "The request is well-formed but a member is invalid: unknown, missing, of the wrong type or refused by a rule. field names it.")
    public static let idempotencyKeyReused = ProblemType("idempotency-key-reused", "Idempotency-Key reused", .unprocessableContent,
        "This Idempotency-Key was used with a different request; use a new key for a new request.")
    public static let upgradeRequired = ProblemType("upgrade-required", "Upgrade required", .upgradeRequired,
        "This endpoint speaks WebSocket only: send a valid upgrade request (Sec-WebSocket-Version 13).")
    public static let tooManyRequests = ProblemType("too-many-requests", "Too many requests", .tooManyRequests,
        "A per-user or global limit is reached (live contexts, open streams). Retry after Retry-After, or release something first.")
    public static let engineLimit = ProblemType("engine-limit", "Engine limit reached", .tooManyRequests,
        "The user holds the maximum number of engines; delete one or wait for an idle one to be cleaned.")
    public static let queueFull = ProblemType("queue-full", "Run queue full", .tooManyRequests,
        "The engine's run queue is full; retry after Retry-After.")
    public static let budgetExceeded = ProblemType("budget-exceeded", "Budget of retained bytes exceeded", .tooManyRequests,
        "Keeping this would pass your budget of retained bytes (budgets.per_user_bytes: contexts, runs and their results, events, idempotency records, subscriber queues; GET /v1/usage shows them). Delete contexts or engines, or wait for contexts to expire and runs' history to go with idle engines; budget_bytes and used_bytes say where you stand.")
    public static let requestHeaderFieldsTooLarge = ProblemType("request-header-fields-too-large", "Request header fields too large",
        .requestHeaderFieldsTooLarge, "The header block is larger, or has more fields, than the server accepts.")
    public static let internalError = ProblemType("internal-error", "Internal server error", .internalServerError,
        "The server failed to handle the request. The cause is logged under the request id in instance.")
    public static let engineBuildFailed = ProblemType("engine-build-failed", "Engine build failed", .internalServerError,
        "The engine could not be built; the cause is logged. Repeated failures open the circuit breaker.")
    public static let notImplemented = ProblemType("not-implemented", "Not implemented", .notImplemented,
        "The server does not implement the request method (method names are case-sensitive: GET, not get) or a transfer coding.")
    public static let serviceUnavailable = ProblemType("service-unavailable", "Service unavailable", .serviceUnavailable,
        "The service is shutting down or has too many open connections; retry after Retry-After, possibly on another replica.")
    public static let capacity = ProblemType("capacity", "Service at capacity", .serviceUnavailable,
        "The service holds its maximum number of engines in total; retry after Retry-After.")
    public static let breakerOpen = ProblemType("breaker-open", "Engine creation suspended", .serviceUnavailable,
        "Engine builds have been failing, so creation is paused (circuit breaker open); retry after Retry-After.")
    public static let globalBudgetExceeded = ProblemType("global-budget-exceeded", "Service memory budget exhausted", .serviceUnavailable,
        "The service keeps its maximum of retained bytes across all users (budgets.global_bytes, lowered to half the container's memory limit); retry after Retry-After, possibly on another replica.")
    public static let databaseUnavailable = ProblemType("database-unavailable", "Shared state unavailable", .serviceUnavailable,
        "The database that keeps state shared by the replicas cannot be reached (database.url); nothing was done. Retry after Retry-After: the service reconnects by itself.")
    public static let httpVersionNotSupported = ProblemType("http-version-not-supported", "HTTP version not supported",
        .httpVersionNotSupported, "Only HTTP/1.0 and HTTP/1.1 are served.")

    /// Every problem type, by status: the table `/problems/{name}` and the documentation serve.
    public static let all: [ProblemType] = [
        .badRequest, .unauthorized, .forbidden, .notFound, .methodNotAllowed, .requestTimeout,
        .engineBusy, .engineRetiring, .engineCleaned, .idempotencyInProgress, .contentTooLarge, .inputTooLarge, .uriTooLong,
        .unsupportedMediaType, .expectationFailed, .validationFailed, .idempotencyKeyReused, .upgradeRequired,
        .tooManyRequests, .engineLimit, .queueFull, .budgetExceeded, .requestHeaderFieldsTooLarge, .internalError, .engineBuildFailed,
        .notImplemented, .serviceUnavailable, .capacity, .breakerOpen, .globalBudgetExceeded, .databaseUnavailable,
        .httpVersionNotSupported,
    ]

    /// The type by name, for `/problems/{name}`.
    public static func named(_ name: String) -> ProblemType? { byName[name] }
    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The general type of a status, for problems made without one (the HTTP server's own
    /// rejections, the router's 404/405/501): the first type of `all` with that status.
    public static func forServerStatus(_ status: HTTPStatus) -> ProblemType? { byStatus[status.code] }
    private static let byStatus: [Int: ProblemType] = {
        var table: [Int: ProblemType] = [:]
        for type in all where table[type.status.code] == nil { table[type.status.code] = type }
        return table
    }()
}
