@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import IsolationdTesting
import Synchronization
import Testing

/// Answers that come after a shared store's round trip (issue 13): the route answers through a
/// deferred response, the loop never waits, and the late answer is finished like any other
/// (request id, metrics). The slow store here is the in-memory one answering from another
/// thread after a pause, as a database would.
@Suite("Later answers: routes over a store that answers after a round trip")
struct LaterAnswerTests {
    /// Engine slots answering 30 ms later from a thread of their own.
    final class SlowSlots: EngineSlotAccounting {
        let inner = InMemoryEngineSlots()
        let answeredLater = Atomic<Int>(0)

        func reserve(userID: String, userLimit: Int, globalLimit: Int, completion: @escaping @Sendable (SlotReservation) -> Void) {
            Task.detached { [self] in
                try? await Task.sleep(for: .milliseconds(30))
                answeredLater.add(1, ordering: .relaxed)
                completion(inner.reserve(userID: userID, userLimit: userLimit, globalLimit: globalLimit))
            }
        }

        func release(userID: String) -> Bool { inner.release(userID: userID) }
        func held(userID: String) -> Int { inner.held(userID: userID) }
        var totalHeld: Int { inner.totalHeld }
    }

    @Test("engine creation over slow slots: 201 then 429 over real sockets, with the request id and metrics of a direct answer")
    func slowSlotsOverSockets() async throws {
        let slots = SlowSlots()
        var settings = ServiceSettings()
        settings.agents = [AgentDefinition(name: "echo", kind: .builtin(.echo))]
        settings.factory.maxEnginesPerUser = 1
        let service = try ExecutionService(settings: settings, authenticator: try Authenticator(settings: AuthSettings()),
                                           shared: SharedStores(slots: slots, idempotency: InMemoryIdempotencyStore()))
        var router = Router()
        APIRoutes.install(on: &router, service: service)
        let metrics = HTTPMetrics(routes: router.patterns)
        let responder = APIResponder(router: router, metrics: metrics, authenticator: service.authenticator)
        try await withTestServer(responder: responder) { port in
            let key = ("Authorization", "Bearer \(RouteHarness.aliceKey)")
            let json = ("Content-Type", "application/json")
            let client = try await RawHTTPClient.connect(port: port)
            defer { client.close() }
            let context = try await client.request("POST", "/v1/contexts", headers: [key, json], body: Array(#"{"thread_id": "slow"}"#.utf8))
            #expect(context.status == 201)
            let contextID = try #require(try JSONValue.parse(context.body)["id"]?.stringValue)
            let body = Array(#"{"context_id": "\#(contextID)"}"#.utf8)
            // Two requests pipelined on one connection: answered in order, each after its round trip.
            try await client.sendRequest("POST", "/v1/engines", headers: [key, json, ("X-Request-ID", "first-1")], body: body)
            try await client.sendRequest("POST", "/v1/engines", headers: [key, json, ("X-Request-ID", "second-2")], body: body)
            let first = try await client.readResponse()
            let second = try await client.readResponse()
            #expect(first.status == 201, "\(first.bodyText)")
            #expect(first.headers["X-Request-ID"] == "first-1")
            #expect(second.status == 429, "\(second.bodyText)")
            #expect(second.headers["X-Request-ID"] == "second-2")
            #expect(second.headers["Content-Type"] == "application/problem+json")
            #expect(second.bodyText.contains("/requests/second-2") || second.bodyText.contains("second-2"), "\(second.bodyText)")
            #expect(slots.answeredLater.load(ordering: .relaxed) == 2)
            // Counted by the request metrics when they were answered.
            var text = PrometheusExposition()
            metrics.write(to: &text)
            let exposition = String(decoding: text.bytes, as: UTF8.self)
            #expect(exposition.contains(#"route="/v1/engines""#) && exposition.contains(#"status="429""#), "\(exposition)")
        }
        await service.shutdown(deadline: .zero)
    }

    @Test("an idempotent creation over slow slots is replayed, not run twice")
    func idempotentOverSlowSlots() async throws {
        let slots = SlowSlots()
        var settings = ServiceSettings()
        settings.agents = [AgentDefinition(name: "echo", kind: .builtin(.echo))]
        let service = try ExecutionService(settings: settings, authenticator: try Authenticator(settings: AuthSettings()),
                                           shared: SharedStores(slots: slots, idempotency: InMemoryIdempotencyStore()))
        var router = Router()
        APIRoutes.install(on: &router, service: service)
        try await withTestServer(responder: APIResponder(router: router, metrics: nil)) { port in
            let headers = [("Authorization", "Bearer \(RouteHarness.aliceKey)"), ("Content-Type", "application/json")]
            let client = try await RawHTTPClient.connect(port: port)
            defer { client.close() }
            let context = try await client.request("POST", "/v1/contexts", headers: headers, body: Array(#"{"thread_id": "slow-idem"}"#.utf8))
            let contextID = try #require(try JSONValue.parse(context.body)["id"]?.stringValue)
            let body = Array(#"{"context_id": "\#(contextID)"}"#.utf8)
            let keyed = headers + [("Idempotency-Key", "slow-key")]
            let first = try await client.request("POST", "/v1/engines", headers: keyed, body: body)
            let again = try await client.request("POST", "/v1/engines", headers: keyed, body: body)
            #expect(first.status == 201)
            #expect(again.status == 201)
            #expect(again.headers["Idempotent-Replayed"] == "true")
            #expect(again.body == first.body)
            #expect(slots.inner.held(userID: DemoAPIKeys.alice.userID) == 1)
            #expect(slots.answeredLater.load(ordering: .relaxed) == 1)
        }
        await service.shutdown(deadline: .zero)
    }
}
