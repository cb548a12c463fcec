@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Synchronization
import Testing

@Suite("Idempotency-Key handling")
struct IdempotencyTests {
    let clock = ManualClock()
    var execution: IdempotentExecution {
        IdempotentExecution(store: InMemoryIdempotencyStore(ttl: .seconds(60)), clock: clock)
    }

    func request(key: String?, body: String = #"{"a": 1}"#, path: String = "/v1/contexts") -> HTTPRequest {
        var headers = HTTPHeaders()
        if let key { headers.add("Idempotency-Key", key) }
        return HTTPRequest(method: .post, target: path, headers: headers, body: Array(body.utf8))
    }

    @Test("stored answers round-trip through their encoding")
    func encoding() throws {
        let stored = StoredResponse(status: 201, headers: [("Content-Type", "application/json"), ("Location", "/v1/x/1")],
                                    body: Array(#"{"id": 1}"#.utf8))
        #expect(StoredResponse.decode(stored.encoded()) == stored)
        #expect(StoredResponse.decode([0x01]) == nil)
        #expect(StoredResponse.decode([0, 200, 3, 4]) == nil)
    }

    @Test("same key and body replay the first answer; another body is 422; no key always runs")
    func replay() throws {
        let execution = execution
        let runs = Atomic<Int>(0)
        let operation = { @Sendable () throws(ProblemDetails) -> HTTPResponse in
            let n = runs.add(1, ordering: .relaxed).newValue
            return HTTPResponse(status: .created, contentType: "application/json", body: Array("{\"n\":\(n)}".utf8),
                                headers: ["Location": "/v1/contexts/\(n)"])
        }
        let first = try execution.run(request(key: "k"), route: "/v1/contexts", userID: "u", now: operation)
        let second = try execution.run(request(key: "k"), route: "/v1/contexts", userID: "u", now: operation)
        #expect(runs.load(ordering: .relaxed) == 1)
        #expect(second.status == .created)
        #expect(second.headers["Location"] == first.headers["Location"])
        #expect(second.headers["Idempotent-Replayed"] == "true")
        guard case .bytes(let a) = first.body, case .bytes(let b) = second.body else { Issue.record("no bodies"); return }
        #expect(a == b)
        let reused = try execution.run(request(key: "k", body: "{}"), route: "/v1/contexts", userID: "u", now: operation)
        #expect(reused.status == .unprocessableContent)
        // Another user, another path: their own keys.
        _ = try execution.run(request(key: "k"), route: "/v1/contexts", userID: "v", now: operation)
        _ = try execution.run(request(key: nil), route: "/v1/contexts", userID: "u", now: operation)
        _ = try execution.run(request(key: nil), route: "/v1/contexts", userID: "u", now: operation)
        #expect(runs.load(ordering: .relaxed) == 4)
        #expect(IdempotentExecution.fingerprint(method: "POST", route: "/v1/engines/a/runs", body: [1])
            != IdempotentExecution.fingerprint(method: "POST", route: "/v1/engines/b/runs", body: [1]))
    }

    @Test("5xx, 429 and thrown problems that say retry are not stored; 4xx answers are")
    func transientFailures() throws {
        let execution = execution
        let runs = Atomic<Int>(0)
        for status in [HTTPStatus.tooManyRequests, .serviceUnavailable, .internalServerError] {
            for _ in 0..<2 {
                let answer = try execution.run(request(key: "t\(status.code)"), route: "/r", userID: "u") { () throws(ProblemDetails) -> HTTPResponse in
                    runs.add(1, ordering: .relaxed)
                    throw ProblemDetails("x", title: "x", status: status)
                }
                #expect(answer.status == status)
            }
        }
        #expect(runs.load(ordering: .relaxed) == 6)
        var answers: [HTTPStatus] = []
        for _ in 0..<2 {
            let response = try execution.run(request(key: "v"), route: "/r", userID: "u") { () throws(ProblemDetails) -> HTTPResponse in
                runs.add(1, ordering: .relaxed)
                return ProblemDetails.validation(field: "f", "bad").response()
            }
            answers.append(response.status)
        }
        #expect(answers == [.unprocessableContent, .unprocessableContent])
        #expect(runs.load(ordering: .relaxed) == 7)
    }

    @Test("a key still in progress is 409; bad keys are 400")
    func inProgressAndBadKeys() throws {
        let execution = execution
        let nested = Mutex<HTTPStatus?>(nil)
        let outer = try execution.run(request(key: "p"), route: "/r", userID: "u") { () throws(ProblemDetails) -> HTTPResponse in
            // A second request with the key while the first runs.
            let inner = try execution.run(request(key: "p"), route: "/r", userID: "u") { HTTPResponse(status: .ok) }
            nested.withLock { $0 = inner.status }
            return HTTPResponse(status: .ok)
        }
        #expect(outer.status == .ok)
        #expect(nested.withLock { $0 } == .conflict, "the nested request was not refused")
        #expect(throws: ProblemDetails.self) {
            try execution.run(request(key: "with space"), route: "/r", userID: "u") { HTTPResponse(status: .ok) }
        }
        for bad in ["", String(repeating: "k", count: 256), "with space", "tab\tkey"] {
            #expect(!IdempotentExecution.isValidKey(bad))
        }
        #expect(IdempotentExecution.isValidKey("9f1c-ok_KEY.1"))
    }
}
