@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import IsolationdTesting
import Synchronization
import Testing

/// The context routes over a store that answers after a round trip, or cannot be asked (a
/// shared store, issue 13): every route answers through a deferred response, correctly, and an
/// unreachable store is 503 `database-unavailable`, never a 404 or a 500.
@Suite("Later answers: context routes over a store that answers later or fails")
struct LateContextStoreTests {
    /// The in-memory store answering 20 ms later from a task of its own, or failing every call.
    final class LateContextStore: ContextStore {
        let inner = InMemoryContextStore(maxPerUser: 3, maxTotal: 100)
        let failing: Bool
        let answeredLater = Atomic<Int>(0)

        init(failing: Bool = false) { self.failing = failing }

        private func later<T: Sendable>(_ completion: @escaping @Sendable (Result<T, ContextStoreUnavailable>) -> Void,
                                        _ work: @escaping @Sendable () -> T) {
            Task.detached { [self] in
                try? await Task.sleep(for: .milliseconds(20))
                answeredLater.add(1, ordering: .relaxed)
                completion(failing ? .failure(ContextStoreUnavailable(reason: "test: down")) : .success(work()))
            }
        }

        func insert(_ context: UserExecutionContext, expiresAt: Timestamp, now: Timestamp,
                    completion: @escaping @Sendable (Result<Void, ContextRegistryError>) -> Void) {
            later({ (result: Result<Result<Void, ContextRegistryError>, ContextStoreUnavailable>) in
                switch result {
                case .success(let inserted): completion(inserted)
                case .failure(let error): completion(.failure(.unavailable(reason: error.reason)))
                }
            }, { [inner] in Result { () throws(ContextRegistryError) in try inner.insert(context, expiresAt: expiresAt, now: now) } })
        }

        func context(requestID: String, userID: String, now: Timestamp,
                     completion: @escaping @Sendable (Result<UserExecutionContext?, ContextStoreUnavailable>) -> Void) {
            later(completion) { [inner] in inner.context(requestID: requestID, userID: userID, now: now) }
        }

        func contexts(userID: String, now: Timestamp, before: ListingKey?, limit: Int,
                      completion: @escaping @Sendable (Result<[UserExecutionContext], ContextStoreUnavailable>) -> Void) {
            later(completion) { [inner] in inner.contexts(userID: userID, now: now, before: before, limit: limit) }
        }

        func removeWithDescendants(requestID: String, userID: String, now: Timestamp,
                                   completion: @escaping @Sendable (Result<[String]?, ContextStoreUnavailable>) -> Void) {
            later(completion) { [inner] in inner.removeWithDescendants(requestID: requestID, userID: userID, now: now) }
        }

        func count(userID: String, completion: @escaping @Sendable (Result<Int, ContextStoreUnavailable>) -> Void) {
            later(completion) { [inner] in inner.count(userID: userID) }
        }

        func removeExpired(now: Timestamp) -> Int { inner.removeExpired(now: now) }
        var totalCount: Int { inner.totalCount }
    }

    static func serve(_ store: LateContextStore, _ body: (_ port: Int) async throws -> Void) async throws {
        var settings = ServiceSettings()
        settings.agents = [AgentDefinition(name: "echo", kind: .builtin(.echo))]
        let service = try ExecutionService(settings: settings, authenticator: try Authenticator(settings: AuthSettings()),
                                           shared: SharedStores(slots: InMemoryEngineSlots(), idempotency: InMemoryIdempotencyStore(),
                                                                contexts: store))
        var router = Router()
        APIRoutes.install(on: &router, service: service)
        try await withTestServer(responder: APIResponder(router: router, metrics: nil)) { port in try await body(port) }
        await service.shutdown(deadline: .zero)
    }

    static let alice = [("Authorization", "Bearer \(RouteHarness.aliceKey)"), ("Content-Type", "application/json")]
    static let bob = [("Authorization", "Bearer \(RouteHarness.bobKey)"), ("Content-Type", "application/json")]

    @Test("create, read, audit, list, child, engine, delete and the bound, each answered after the store's round trip")
    func everyRouteAnswersLater() async throws {
        let store = LateContextStore()
        try await Self.serve(store) { port in
            let client = try await RawHTTPClient.connect(port: port)
            defer { client.close() }
            let created = try await client.request("POST", "/v1/contexts", headers: Self.alice, body: Array(#"{"thread_id": "late"}"#.utf8))
            #expect(created.status == 201, "\(created.bodyText)")
            let id = try #require(try JSONValue.parse(created.body)["id"]?.stringValue)
            #expect(created.headers["Location"] == "/v1/contexts/" + id)
            #expect(try await client.request("GET", "/v1/contexts/\(id)", headers: Self.alice).status == 200)
            #expect(try await client.request("GET", "/v1/contexts/\(id)", headers: Self.bob).status == 404)
            #expect(try await client.request("GET", "/v1/contexts/\(id)/audit", headers: Self.alice).status == 200)
            let listed = try await client.request("GET", "/v1/contexts", headers: Self.alice)
            #expect(try JSONValue.parse(listed.body)["contexts"]?.arrayValue?.count == 1)
            let child = try await client.request("POST", "/v1/contexts/\(id)/children", headers: Self.alice,
                                                 body: Array(#"{"operation_name": "sub"}"#.utf8))
            #expect(child.status == 201, "\(child.bodyText)")
            let childID = try #require(try JSONValue.parse(child.body)["id"]?.stringValue)
            let engine = try await client.request("POST", "/v1/engines", headers: Self.alice, body: Array(#"{"context_id": "\#(id)"}"#.utf8))
            #expect(engine.status == 201, "\(engine.bodyText)")
            #expect(try await client.request("POST", "/v1/engines", headers: Self.bob,
                                              body: Array(#"{"context_id": "\#(id)"}"#.utf8)).status == 404)
            // Three per user: the third fits, the fourth is 429.
            #expect(try await client.request("POST", "/v1/contexts", headers: Self.alice, body: Array(#"{"thread_id": "t3"}"#.utf8)).status == 201)
            let refused = try await client.request("POST", "/v1/contexts", headers: Self.alice, body: Array(#"{"thread_id": "t4"}"#.utf8))
            #expect(refused.status == 429, "\(refused.bodyText)")
            #expect(try await client.request("DELETE", "/v1/contexts/\(id)", headers: Self.alice).status == 204)
            #expect(try await client.request("GET", "/v1/contexts/\(childID)", headers: Self.alice).status == 404)
            #expect(try await client.request("DELETE", "/v1/contexts/\(id)", headers: Self.alice).status == 404)
        }
        #expect(store.answeredLater.load(ordering: .relaxed) >= 15)
    }

    @Test("a store that cannot be asked: every context route and engine creation is 503 database-unavailable with Retry-After")
    func unreachableStoreIs503() async throws {
        let store = LateContextStore(failing: true)
        try await Self.serve(store) { port in
            let client = try await RawHTTPClient.connect(port: port)
            defer { client.close() }
            let id = "00000000-0000-4000-8000-000000000000"
            let requests: [(String, String, String?)] = [
                ("POST", "/v1/contexts", #"{"thread_id": "down"}"#), ("GET", "/v1/contexts", nil), ("GET", "/v1/contexts/\(id)", nil),
                ("GET", "/v1/contexts/\(id)/audit", nil), ("DELETE", "/v1/contexts/\(id)", nil),
                ("POST", "/v1/contexts/\(id)/children", #"{"operation_name": "x"}"#), ("POST", "/v1/engines", #"{"context_id": "\#(id)"}"#),
            ]
            for (method, path, body) in requests {
                let answer = try await client.request(method, path, headers: Self.alice, body: body.map { Array($0.utf8) } ?? [])
                #expect(answer.status == 503, "\(method) \(path): \(answer.bodyText)")
                #expect(answer.headers["Content-Type"] == "application/problem+json")
                #expect(answer.headers["Retry-After"] != nil)
                #expect(answer.bodyText.contains("database-unavailable"), "\(method) \(path): \(answer.bodyText)")
            }
        }
    }
}
