import ExecutionAPI
import ExecutionCore
import HTTPServer
import IsolationdTesting
import Testing

/// One user of the test configuration, with the API key that proves it.
struct TestUser: Sendable, Hashable {
    let id: String
    let key: String
}

/// The configuration the integration tests start the real binary with: API keys for `userCount`
/// users (`it-user-01`...; the first is an admin), small limits so every limit is reachable, the
/// builtin agents and the example `research` process agent.
enum APITestConfiguration {
    static let packageRoot: String = {
        let file = #filePath
        guard let start = BinaryServer.firstIndex(of: "/Tests/IntegrationTests/", in: file[...]) else { return "." }
        return String(file[..<start])
    }()

    static func users(_ count: Int) -> [TestUser] {
        (1...count).map { index in
            let number = index < 10 ? "0\(index)" : "\(index)"
            return TestUser(id: "it-user-\(number)", key: "it-key-\(number)-\(String(index * 7919, radix: 16))-secret")
        }
    }

    static func json(users: [TestUser], enginesPerUser: Int = 2, maxConcurrentRuns: Int = 1, maxQueuedRuns: Int = 1,
                     contextsPerUser: Int = 40, idempotencyKeysPerUser: Int = 100, extraSections: String = "") -> String {
        let keys = users.enumerated().map { index, user in
            let roles = index == 0 ? #"["user", "admin"]"# : #"["user"]"#
            return #"{"user_id": "\#(user.id)", "roles": \#(roles), "sha256": "\#(OpenSSLCrypto.sha256(user.key).description)"}"#
        }.joined(separator: ",\n      ")
        return """
        {
          "server": {"host": "127.0.0.1", "port": 0, "event_loops": 2, "drain": {"delay_seconds": 0, "deadline_seconds": 5}, "timeouts": {"request_head_seconds": 60}},
          "auth": {"mode": "api_keys", "demo_keys": false, "api_keys": [
              \(keys)
          ]},
          "contexts": {"max_per_user": \(contextsPerUser), "ttl_seconds": 600},
          "factory": {"max_engines_per_user": \(enginesPerUser), "shutdown_deadline_seconds": 2,
                      "idle_timeout_seconds": 600, "cleanup_interval_seconds": 60},
          "engines": {"max_concurrent_runs": \(maxConcurrentRuns), "max_queued_runs": \(maxQueuedRuns),
                      "run_timeout_seconds": 20, "cancel_grace_seconds": 1},
          "idempotency": {"ttl_seconds": 600, "max_keys_per_user": \(idempotencyKeysPerUser)},
          "agents": [
            {"name": "echo", "kind": "builtin", "builtin": "echo"},
            {"name": "tools", "kind": "builtin", "builtin": "tools"},
            {"name": "sleep", "kind": "builtin", "builtin": "sleep"},
            {"name": "research", "kind": "process", "description": "the example process agent",
             "command": ["/usr/bin/python3", "-I", "-B", "research.py"],
             "working_directory": "\(packageRoot)/config/agents", "timeout_seconds": 20}
          ],
          "logging": {"level": "info", "format": "text", "access_log": false},
          "metrics": {"enabled": true, "require_admin": false}\(extraSections)
        }
        """
    }

    /// Starts the binary with `json(...)`.
    static func start(users: [TestUser], enginesPerUser: Int = 2, maxConcurrentRuns: Int = 1,
                      maxQueuedRuns: Int = 1, contextsPerUser: Int = 40) async throws -> BinaryServer {
        try await BinaryServer.start(configuration: json(users: users, enginesPerUser: enginesPerUser,
                                                         maxConcurrentRuns: maxConcurrentRuns,
                                                         maxQueuedRuns: maxQueuedRuns, contextsPerUser: contextsPerUser))
    }
}

/// An answer of the API: status, headers and the body parsed as JSON (nil when not JSON).
struct APIAnswer: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let text: String
    let json: JSONValue?

    func string(_ key: String) -> String? { json?[key]?.stringValue }
    func header(_ name: String) -> String? { headers[name] }
    var contentType: String? { headers["Content-Type"] }
}

/// A user's view of the API over real sockets: one connection per call, the user's key sent
/// with every `/v1` request.
struct APIClient: Sendable {
    let port: Int
    let user: TestUser?

    func call(_ method: String, _ path: String, json: String? = nil, body: [UInt8]? = nil,
              headers: [(String, String)] = [], authenticated: Bool = true) async throws -> APIAnswer {
        let client = try await RawHTTPClient.connect(port: port)
        defer { client.close() }
        var all = headers
        if authenticated, let user { all.append(("Authorization", "Bearer \(user.key)")) }
        var bytes: [UInt8] = []
        if let json {
            bytes = Array(json.utf8)
            if !all.contains(where: { $0.0.lowercased() == "content-type" }) { all.append(("Content-Type", "application/json")) }
        }
        if let body { bytes = body }
        if bytes.isEmpty, method == "POST" { all.append(("Content-Length", "0")) }
        all.append(("Connection", "close"))
        let response = try await client.request(method, path, headers: all, body: bytes)
        return APIAnswer(status: response.status, headers: response.headers, text: response.bodyText,
                         json: try? JSONValue.parse(response.body))
    }

    /// POST /v1/contexts with `thread_id` (and `extra` members); expects 201; returns the id.
    func createContext(thread: String, extra: String = "") async throws -> String {
        let answer = try await call("POST", "/v1/contexts", json: #"{"thread_id": "\#(thread)"\#(extra)}"#)
        try #require(answer.status == 201, "create context: \(answer.status) \(answer.text)")
        return try #require(answer.string("id"))
    }

    /// POST /v1/engines for `contextID`; expects 201; returns the id.
    func createEngine(contextID: String) async throws -> String {
        let answer = try await call("POST", "/v1/engines", json: #"{"context_id": "\#(contextID)"}"#)
        try #require(answer.status == 201, "create engine: \(answer.status) \(answer.text)")
        return try #require(answer.string("id"))
    }

    /// POST /v1/engines/{id}/runs; expects 202; returns the run id.
    func startRun(engineID: String, agent: String, input: String = "{}", ifBusy: String? = nil) async throws -> String {
        let busy = ifBusy.map { #", "if_busy": "\#($0)""# } ?? ""
        let answer = try await call("POST", "/v1/engines/\(engineID)/runs",
                                    json: #"{"agent": "\#(agent)", "input": \#(input)\#(busy)}"#)
        try #require(answer.status == 202, "start run: \(answer.status) \(answer.text)")
        return try #require(answer.string("id"))
    }

    /// Polls GET /v1/runs/{id} until its state is terminal (at most `timeout`).
    func waitForTerminalRun(_ runID: String, timeout: Duration = .seconds(30)) async throws -> APIAnswer {
        let deadline = ContinuousClock.now + timeout
        var last: APIAnswer?
        while ContinuousClock.now < deadline {
            let answer = try await call("GET", "/v1/runs/\(runID)")
            last = answer
            if let state = answer.string("state"), ["completed", "failed", "cancelled", "timed_out"].contains(state) {
                return answer
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("run \(runID) did not end within \(timeout): \(last?.text ?? "no answer")")
        return try #require(last)
    }
}

extension BinaryServer {
    func client(_ user: TestUser?) -> APIClient { APIClient(port: port, user: user) }
}

/// The binary with one user, that user's client, and an engine of a fresh context of theirs:
/// where most single-user tests of a route begin.
struct OneUserWithEngine {
    let server: BinaryServer
    let user: TestUser
    let client: APIClient
    let engineID: String

    static func start(thread: String) async throws -> OneUserWithEngine {
        let users = APITestConfiguration.users(1)
        let server = try await APITestConfiguration.start(users: users)
        let client = server.client(users[0])
        let context = try await client.createContext(thread: thread)
        return OneUserWithEngine(server: server, user: users[0], client: client,
                                 engineID: try await client.createEngine(contextID: context))
    }
}
