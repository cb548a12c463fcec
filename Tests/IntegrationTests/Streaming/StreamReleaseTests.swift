import ExecutionAPI
import ExecutionCore
import HTTPServer
import IsolationdTesting
import Testing

/// A stream subscribes while its request is answered; the server then promises to run exactly
/// one of the body's `start`/`notStarted` (WebSocket: `onOpen`/`onRefused`). These tests play
/// the server's part by hand, so the release needs no timer and no socket to be proved.
@Suite("Stream subscriptions are released when the response never starts")
struct StreamReleaseTests {
    static func request(_ target: String, user: String, headers: HTTPHeaders = [:]) -> HTTPRequest {
        var headers = headers
        headers.add("Authorization", "Bearer \(StreamTestWorld.token(user))")
        return HTTPRequest(method: .get, target: target, headers: headers)
    }

    @Test("an SSE response that is not started ends its subscription at once, counted as client_gone")
    func sseNotStarted() throws {
        let world = try StreamTestWorld(users: ["alice-01"])
        let response = world.router.respond(to: Self.request("/v1/events", user: "alice-01"))
        #expect(response.status == .ok)
        #expect(world.hub.statistics.liveSubscribers == 1)
        #expect(world.streamCounters.liveStreamCount == 1)
        guard case .stream(let body) = response.body else {
            Issue.record("expected a streamed body")
            return
        }
        body.notStarted()
        #expect(world.hub.statistics.liveSubscribers == 0)
        #expect(world.streamCounters.liveStreamCount == 0)
        #expect(world.streamCounters.statistics.endedClientGone == 1)
        // Told twice (it cannot be), it still ends once.
        body.notStarted()
        #expect(world.streamCounters.statistics.endedClientGone == 1)
    }

    @Test("a WebSocket upgrade the server refuses after all ends its subscription at once")
    func webSocketRefused() throws {
        let world = try StreamTestWorld(users: ["alice-01"])
        let headers: HTTPHeaders = ["Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="]
        let response = world.router.respond(to: Self.request("/v1/events/ws", user: "alice-01", headers: headers))
        #expect(response.status == .switchingProtocols)
        #expect(world.hub.statistics.liveSubscribers == 1)
        guard case .webSocket(let upgrade) = response.body else {
            Issue.record("expected an upgrade")
            return
        }
        upgrade.onRefused()
        #expect(world.hub.statistics.liveSubscribers == 0)
        #expect(world.streamCounters.statistics.endedClientGone == 1)
        #expect(world.streamCounters.liveStreamCount == 0)
    }

    @Test("a run stream answers a malformed, unknown or foreign run id with the REST routes' 404")
    func runStreamNotFoundIsTheRESTOne() async throws {
        let world = try StreamTestWorld(users: ["alice-01", "bob-02"])
        let engine = try world.engine(user: "alice-01", thread: "thread-r")
        let run = try engine.startRun(agent: "echo", input: .object(["say": .string("hi")]))
        let expected = ProblemMapping.notFound(.run).response()
        guard case .bytes(let expectedBody) = expected.body else {
            Issue.record("expected a problem body")
            return
        }
        for (path, user) in [("/v1/runs/\(run.id)/events", "bob-02"), ("/v1/runs/run-unknown/events", "alice-01"),
                             ("/v1/runs/\(String(repeating: "x", count: 200))/events", "alice-01")] {
            let response = world.router.respond(to: Self.request(path, user: user))
            #expect(response.status == .notFound, "\(path)")
            #expect(response.headers["Content-Type"] == "application/problem+json")
            guard case .bytes(let body) = response.body else {
                Issue.record("expected a problem body for \(path)")
                continue
            }
            #expect(body == expectedBody, "\(path)")
        }
        #expect(world.hub.statistics.liveSubscribers == 0)
    }
}
