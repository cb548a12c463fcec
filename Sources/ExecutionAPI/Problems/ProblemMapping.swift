import ExecutionCore
import HTTPServer

/// THE mapping from every typed error a client can cause to its HTTP status and
/// `application/problem+json` body (RFC 9457). Routes throw `ProblemDetails` made here and
/// nowhere else, so one kind of failure always looks the same.
public enum ProblemMapping {
    /// The kinds of resource a path can name; their 404s never say whether the id exists for
    /// another user (the body is the same as for an id that never existed).
    public enum Resource: String, Sendable {
        case context, engine, run
    }

    /// 404 for `resource`: identical for unknown ids, malformed ids and other users' ids.
    public static func notFound(_ resource: Resource) -> ProblemDetails {
        ProblemDetails.notFound("no \(resource.rawValue) with this id")
            .with("resource", .string(resource.rawValue))
    }

    /// 401 with the `WWW-Authenticate` challenge.
    public static func problem(for error: AuthError) -> ProblemDetails { .unauthorized(error) }

    /// 422 naming the field (`thread_id`, `agent_context`, `operation_name`, ...).
    public static func problem(for error: ContextValidationError) -> ProblemDetails {
        ProblemDetails.validation(field: error.field, error.message).with("reason", .string(error.reason.rawValue))
    }

    /// 429 with `Retry-After`: the user (or the service) holds its maximum of live contexts;
    /// contexts expire after the TTL or can be deleted.
    public static func problem(for error: ContextRegistryError, retryAfterSeconds: Double) -> ProblemDetails {
        switch error {
        case .userLimitExceeded(let limit):
            return ProblemDetails.tooManyRequests("you hold the maximum of \(limit) live contexts; delete one or wait for one to expire",
                                                  retryAfter: retryAfterSeconds)
                .with("limit", .integer(Int64(limit)))
        case .totalLimitExceeded:
            return ProblemDetails.tooManyRequests("the service holds its maximum of live contexts; retry later",
                                                  retryAfter: retryAfterSeconds)
        case .budgetExceeded(let refusal):
            return problem(for: refusal)
        case .unavailable:
            return databaseUnavailable
        }
    }

    public static func problem(for error: EngineCreationError) -> ProblemDetails {
        switch error {
        case .invalidContext(let validation):
            return problem(for: validation)
        case .userLimitExceeded(let limit, let retryAfter):
            return ProblemDetails(.engineLimit, detail: "you hold the maximum of \(limit) engines; delete one or wait for an idle one to be cleaned",
                                  extensions: ["limit": .integer(Int64(limit))])
                .retrying(after: retryAfter.secondsDouble)
        case .globalLimitExceeded(let limit):
            return ProblemDetails(.capacity, detail: "the service holds its maximum of \(limit) engines; retry later")
                .retrying(after: 5)
        case .breakerOpen(let retryAfter):
            return ProblemDetails(.breakerOpen, detail: "engine builds have been failing; creation is paused, retry later")
                .retrying(after: retryAfter.secondsDouble)
        case .buildFailed:
            // The cause goes to the log; the client learns only that it failed on our side.
            return ProblemDetails(.engineBuildFailed, detail: "the engine could not be built; it has been logged")
        case .shuttingDown:
            return shuttingDown
        case .storeUnavailable:
            return databaseUnavailable
        }
    }

    /// The shared store (the database) did not answer: 503, retry soon (it reconnects by itself).
    /// Clients learn no more: the cause shows in `/readyz?verbose` (connection lost) and in
    /// `isolationd_database_query_failures_total{statement}` (any failed statement).
    public static let databaseUnavailable =
        ProblemDetails(.databaseUnavailable, detail: "the service's database cannot be reached right now; nothing was done, retry shortly")
            .retrying(after: 2)

    public static func problem(for error: RunRequestError) -> ProblemDetails {
        switch error {
        case .unknownAgent(let name):
            return ProblemDetails.validation(field: "agent", "no agent named \"\(name)\" is configured (GET /v1/agents lists them)")
        case .inputTooLarge(let limit):
            return ProblemDetails(.inputTooLarge, detail: "the run's input is larger than \(limit) bytes as JSON (engines.max_run_input_bytes); send less, or a reference to it",
                                  extensions: ["limit": .integer(Int64(limit))])
        case .busy(let active):
            return ProblemDetails(.engineBusy, detail: "the engine runs its maximum of concurrent runs (\(active.joined(separator: ", "))); retry later or send if_busy enqueue or interrupt",
                                  extensions: ["active_runs": .array(active.map(JSONValue.string))])
        case .queueFull(let limit):
            return ProblemDetails(.queueFull, detail: "the engine's queue holds its maximum of \(limit) waiting runs",
                                  extensions: ["limit": .integer(Int64(limit))])
                .retrying(after: 1)
        case .engineRetiring:
            return ProblemDetails(.engineRetiring, detail: "the engine passed its maximum lifetime and accepts no new runs; create a new engine")
        case .engineCleaned:
            return ProblemDetails(.engineCleaned, detail: "the engine has been cleaned and runs nothing again; create a new engine")
        case .budgetExceeded(let refusal):
            return problem(for: refusal)
        }
    }

    /// 503 while the service drains.
    public static let shuttingDown = ProblemDetails.serviceUnavailable("the service is shutting down", retryAfter: 1)
        .closingConnection()

    /// 403 for routes that need a role.
    public static func forbidden(role: String) -> ProblemDetails { .forbidden(missingRole: role) }
}

extension ProblemDetails {
    /// The problem with one more extension member.
    func with(_ key: String, _ value: JSONValue) -> ProblemDetails {
        var copy = self
        copy.extensions[key] = value
        return copy
    }

    /// The problem answered with `Connection: close` (during a drain).
    func closingConnection() -> ProblemDetails {
        var copy = self
        copy.headers.set("Connection", "close")
        return copy
    }
}
