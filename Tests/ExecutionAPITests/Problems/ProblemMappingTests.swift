@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Testing

@Suite("One mapping from typed errors to problem+json")
struct ProblemMappingTests {
    @Test("context validation is 422 naming the field and reason")
    func validation() {
        let problem = ProblemMapping.problem(for: ContextValidationError(field: "thread_id", reason: .placeholder, message: "thread_id is a placeholder"))
        #expect(problem.status == .unprocessableContent)
        #expect(problem.extensions["field"] == .string("thread_id"))
        #expect(problem.extensions["reason"] == .string("placeholder"))
        #expect(problem.response().headers["Content-Type"] == "application/problem+json")
    }

    @Test("engine creation errors: 429/503 with Retry-After, 500 without internals, 422 for contexts")
    func engineCreation() {
        let limit = ProblemMapping.problem(for: EngineCreationError.userLimitExceeded(limit: 2, retryAfter: .milliseconds(2500)))
        #expect(limit.status == .tooManyRequests)
        #expect(limit.headers["Retry-After"] == "3")
        #expect(limit.extensions["limit"] == .integer(2))
        let breaker = ProblemMapping.problem(for: EngineCreationError.breakerOpen(retryAfter: .seconds(30)))
        #expect(breaker.status == .serviceUnavailable)
        #expect(breaker.headers["Retry-After"] == "30")
        #expect(ProblemMapping.problem(for: EngineCreationError.globalLimitExceeded(limit: 9)).status == .serviceUnavailable)
        #expect(ProblemMapping.problem(for: EngineCreationError.globalLimitExceeded(limit: 9)).headers["Retry-After"] != nil)
        let build = ProblemMapping.problem(for: EngineCreationError.buildFailed(message: "secret internals"))
        #expect(build.status == .internalServerError)
        #expect(!build.json.serializedString().contains("secret internals"))
        let shutdown = ProblemMapping.problem(for: EngineCreationError.shuttingDown)
        #expect(shutdown.status == .serviceUnavailable)
        #expect(shutdown.headers["Connection"] == "close")
        let invalid = ProblemMapping.problem(for: EngineCreationError.invalidContext(
            ContextValidationError(field: "run_id", reason: .empty, message: "run_id is empty")))
        #expect(invalid.status == .unprocessableContent && invalid.extensions["field"] == .string("run_id"))
    }

    @Test("run request errors: busy 409 naming the runs, queue full 429, unknown agent 422, retiring/cleaned 409")
    func runRequests() {
        let busy = ProblemMapping.problem(for: RunRequestError.busy(activeRunIDs: ["r1", "r2"]))
        #expect(busy.status == .conflict)
        #expect(busy.extensions["active_runs"] == .array([.string("r1"), .string("r2")]))
        #expect(busy.detail?.contains("r1, r2") == true)
        let full = ProblemMapping.problem(for: RunRequestError.queueFull(limit: 10))
        #expect(full.status == .tooManyRequests && full.headers["Retry-After"] != nil)
        let agent = ProblemMapping.problem(for: RunRequestError.unknownAgent("nope"))
        #expect(agent.status == .unprocessableContent && agent.extensions["field"] == .string("agent"))
        #expect(ProblemMapping.problem(for: RunRequestError.engineRetiring).status == .conflict)
        #expect(ProblemMapping.problem(for: RunRequestError.engineCleaned).status == .conflict)
    }

    @Test("registry limits are 429 with Retry-After; auth failures 401 with a challenge")
    func registryAndAuth() {
        let contexts = ProblemMapping.problem(for: ContextRegistryError.userLimitExceeded(limit: 100), retryAfterSeconds: 60)
        #expect(contexts.status == .tooManyRequests && contexts.headers["Retry-After"] == "60")
        #expect(ProblemMapping.problem(for: ContextRegistryError.totalLimitExceeded(limit: 5), retryAfterSeconds: 1).status == .tooManyRequests)
        let auth = ProblemMapping.problem(for: AuthError.expired)
        #expect(auth.status == .unauthorized)
        #expect(auth.headers["WWW-Authenticate"]?.contains("invalid_token") == true)
    }

    @Test("404 bodies never depend on the id")
    func notFound() {
        #expect(ProblemMapping.notFound(.engine).json == ProblemMapping.notFound(.engine).json)
        #expect(ProblemMapping.notFound(.run).status == .notFound)
        #expect(ProblemMapping.notFound(.context).detail == "no context with this id")
    }
}
