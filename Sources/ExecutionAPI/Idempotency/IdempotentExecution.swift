import ExecutionCore
import HTTPServer

/// `Idempotency-Key` handling for creating operations (SPEC.md §7): the first request with a key
/// runs and its answer is kept (per user, for the store's TTL); a retry with the same key and
/// the same request gets that answer again (`Idempotent-Replayed: true`); the same key with
/// another request is 422; the same key while the first is still running is 409. Answers that
/// say "try again" (5xx, 429) are not kept, so the retry really runs.
public struct IdempotentExecution: Sendable {
    public static let headerName = "Idempotency-Key"
    let store: any IdempotencyStore
    let clock: any ExecutionClock

    public init(store: any IdempotencyStore, clock: any ExecutionClock) {
        self.store = store
        self.clock = clock
    }

    /// Runs `operation` under the request's key, if it has one; without a key it just runs.
    /// `route` is the route template, part of the fingerprint with the method and the body.
    /// `operation` answers through its callback, at once or after a round trip of its own; the
    /// store's answer may come later too (a shared store), so the result may be a deferred
    /// response (see `LaterAnswer`).
    func run(_ request: HTTPRequest, route: String, userID: String,
             _ operation: @escaping @Sendable (_ answer: @escaping LaterAnswer.Answer) -> Void) throws(ProblemDetails) -> HTTPResponse {
        guard let key = request.headers[Self.headerName] else { return LaterAnswer.respond(operation) }
        guard Self.isValidKey(key) else { throw BodyProblem.badIdempotencyKey }
        let fingerprint = Self.fingerprint(method: request.method.rawValue, route: route, body: request.body)
        let requestID = RequestID.current
        return LaterAnswer.respond { answer in
            store.begin(userID: userID, key: key, fingerprint: fingerprint, now: clock.now()) { [self] decision in
                switch decision {
                case .replay(let payload):
                    guard let stored = StoredResponse.decode(payload) else { return answer(.failure(ProblemDetails.internalError)) }
                    answer(.success(stored.response()))
                case .inProgress:
                    answer(.failure(ProblemDetails(.idempotencyInProgress, detail: "a request with this Idempotency-Key is still being processed; retry shortly")
                        .retrying(after: 1)))
                case .fingerprintMismatch:
                    answer(.failure(ProblemDetails(.idempotencyKeyReused, detail: "this Idempotency-Key was used with a different request; use a new key for a new request")))
                case .budgetExceeded(let refusal):
                    answer(.failure(ProblemMapping.problem(for: refusal)))
                case .unavailable:
                    answer(.failure(ProblemMapping.databaseUnavailable))
                case .proceed:
                    operation { result in
                        let response = switch result {
                        case .success(let response): response
                        case .failure(let problem): RequestID.$current.withValue(requestID) { problem.response() }
                        }
                        finish(response, userID: userID, key: key) { answer(.success(response)) }
                    }
                }
            }
        }
    }

    /// `run` for an operation that answers at once. Without a key it just runs, as directly as
    /// before any store could answer late (POST /v1/contexts is a benchmarked path).
    func run(_ request: HTTPRequest, route: String, userID: String,
             now operation: @escaping @Sendable () throws(ProblemDetails) -> HTTPResponse) throws(ProblemDetails) -> HTTPResponse {
        guard request.headers[Self.headerName] != nil else { return try operation() }
        return try run(request, route: route, userID: userID) { answer in
            answer(Result { () throws(ProblemDetails) -> HTTPResponse in try operation() })
        }
    }

    /// Keeps the answer under the key (or lets the key go, for answers that say "try again"),
    /// then calls `then`: the client hears the answer only once a retry on any replica would
    /// be replayed it.
    private func finish(_ response: HTTPResponse, userID: String, key: String, then: @escaping @Sendable () -> Void) {
        let code = response.status.code
        guard code < 500, code != 429, let stored = StoredResponse(response) else {
            store.release(userID: userID, key: key)
            return then()
        }
        store.complete(userID: userID, key: key, payload: stored.encoded(), now: clock.now(), stored: then)
    }

    /// SHA-256 of method, route template and body, each length-delimited.
    static func fingerprint(method: String, route: String, body: [UInt8]) -> [UInt8] {
        var material: [UInt8] = []
        material.reserveCapacity(method.utf8.count + route.utf8.count + body.count + 2)
        material.append(contentsOf: method.utf8)
        material.append(0)
        material.append(contentsOf: route.utf8)
        material.append(0)
        material.append(contentsOf: body)
        return withUnsafeBytes(of: OpenSSLCrypto.sha256(material).storage) { Array($0) }
    }

    /// 1-255 visible ASCII characters.
    static func isValidKey(_ key: String) -> Bool {
        let utf8 = key.utf8
        return !utf8.isEmpty && utf8.count <= 255 && utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}
