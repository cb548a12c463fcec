import ExecutionAPI
import ExecutionCore
import HTTPServer
import IsolationdTesting
import Synchronization

/// The real pieces the stream endpoints run on: an event hub, the stream counters, the engine factory with
/// the builtin `echo` and `tools` agents, API-key authentication for a set of users, and the
/// stream routes on a router served over real sockets.
struct StreamTestWorld: Sendable {
    let hub: EventHub
    let streamCounters = EventStreamCounters()
    let factory: ExecutionEngineFactory
    let authenticator: Authenticator
    let environment: EventStreamEnvironment
    let policy = ContextPolicy()

    static func token(_ user: String) -> String { "sk-\(user)-7f3a9c21d4e8b605" }

    init(users: [String], hub configuration: EventHubConfiguration = EventHubConfiguration(maxSubscribersPerUser: 10),
         heartbeat: Duration = .seconds(15), retryMilliseconds: Int = 2500) throws {
        var auth = AuthSettings()
        auth.demoKeys = false
        auth.apiKeys = users.map { user in
            AuthSettings.APIKey(userID: user, roles: ["user"], sha256: OpenSSLCrypto.sha256(Self.token(user)).hex)
        }
        authenticator = try Authenticator(settings: auth)
        hub = EventHub(configuration: configuration)
        let agents = try AgentCatalog(definitions: [AgentDefinition(name: "echo", kind: .builtin(.echo)),
                                                    AgentDefinition(name: "tools", kind: .builtin(.tools))])
        factory = try ExecutionEngineFactory(eventPublisher: hub, agents: agents, runsBackgroundSweep: false)
        var settings = StreamSettings()
        settings.retryMilliseconds = retryMilliseconds
        settings.heartbeatSeconds = heartbeat.secondsDouble
        environment = EventStreamEnvironment(hub: hub, authenticator: authenticator, counters: streamCounters, settings: settings,
                                             factory: factory)
    }

    var router: Router {
        var router = Router()
        StreamRoutes.install(on: &router, environment: environment)
        return router
    }

    /// Serves the stream routes on an ephemeral port for `body`, then stops the server.
    func serve<T>(configuration: HTTPServerConfiguration = .testing,
                  _ body: (_ server: HTTPServer, _ port: Int) async throws -> T) async throws -> T {
        return try await withTestServer(configuration: configuration, responder: router) { server, port in
            try await body(server, port)
        }
    }

    /// Publishes one event straight into the hub, as an engine's emitter would.
    @discardableResult
    func publish(user: String, thread: String = "thread-a", run: String = "run-a", execution: String = "exec-a",
                 type: EventType = .agentThinking, data: JSONValue = .object(["step": .integer(1)])) -> PublishedEvent {
        hub.publish(EventDraft(type: type, identity: EventIdentity(userID: user, threadID: thread, runID: run,
                                                                   requestID: "req-1", engineID: "engine-1"),
                               executionID: execution, agent: "echo", timestamp: SystemClock().now(), data: data))
    }

    func engine(user: String, thread: String) throws -> UserExecutionEngine {
        try factory.create(for: policy.makeContext(userID: user, threadID: thread))
    }

    func connect(_ port: Int, _ path: String, user: String, lastEventID: String? = nil,
                 timeout: Duration = .seconds(10)) async throws -> SSEClient {
        try await SSEClient.connect(port: port, path: path, token: Self.token(user), lastEventID: lastEventID,
                                    timeout: timeout)
    }
}

extension SSEEvent {
    var numericID: UInt64? { id.flatMap { UInt64($0) } }
    var json: JSONValue? { try? JSONValue.parse(data) }
}
