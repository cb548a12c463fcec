import ExecutionCore
import IsolationdTesting
import Testing

/// `logging.format: json` and the access log, read from the real binary's output.
@Suite("Structured logs of the real binary")
struct StructuredLogBinaryTests {
    static func start(accessLog: Bool, format: String = "json") async throws -> (BinaryServer, [TestUser]) {
        let users = APITestConfiguration.users(1)
        let config = OperationsConfiguration.json(users: users, logging: """
            {"level": "info", "format": "\(format)", "access_log": \(accessLog)}
            """)
        return (try await BinaryServer.start(configuration: config), users)
    }

    /// Every non-empty output line parsed as a JSON object (an issue per line that is not one).
    static func objects(_ output: String) -> [[String: JSONValue]] {
        var objects: [[String: JSONValue]] = []
        for line in output.split(separator: "\n") where !line.isEmpty {
            guard case .object(let members)? = try? JSONValue.parse(String(line)) else {
                Issue.record("not one JSON object: \(line)")
                continue
            }
            objects.append(members)
        }
        return objects
    }

    /// Waits (bounded) until the output has a line with `request_id` equal to `id`.
    static func lines(withRequestID id: String, in server: BinaryServer) async throws -> [[String: JSONValue]] {
        for _ in 0..<100 {
            let found = objects(server.output).filter { $0["request_id"] == .string(id) }
            if !found.isEmpty { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        return []
    }

    @Test("json: every line is one object with ts, level, logger, msg; the access log carries the request id, the client's or a new one, echoed in X-Request-ID")
    func jsonLinesAndRequestIDs() async throws {
        let (server, users) = try await Self.start(accessLog: true)
        let alice = server.client(users[0])

        let given = try await alice.call("GET", "/v1/agents", headers: [("X-Request-ID", "trace-4f2a.9_c:1")])
        #expect(given.status == 200)
        #expect(given.header("X-Request-ID") == "trace-4f2a.9_c:1")
        let givenLines = try await Self.lines(withRequestID: "trace-4f2a.9_c:1", in: server)
        #expect(givenLines.count == 1)
        let access = try #require(givenLines.first)
        #expect(access["logger"] == .string("isolationd.access"))
        #expect(access["status"] == .string("200") || access["status"] == .integer(200))
        #expect(access["path"] == .string("/v1/agents"))

        // Not a sane token (a space, then a forged log field): replaced by a generated id.
        let forged = try await alice.call("GET", "/v1/agents", headers: [("X-Request-ID", "x\" level=\"critical")])
        let generated = try #require(forged.header("X-Request-ID"))
        #expect(generated != "x\" level=\"critical")
        #expect(!generated.isEmpty && generated.allSatisfy { $0.isHexDigit || $0 == "-" })
        #expect(try await Self.lines(withRequestID: generated, in: server).count == 1)

        // Without one: generated, and different per request.
        let first = try #require(try await alice.call("GET", "/v1/agents").header("X-Request-ID"))
        let second = try #require(try await alice.call("GET", "/v1/agents").header("X-Request-ID"))
        #expect(first != second)
        // Error answers carry theirs too.
        let missing = try await alice.call("GET", "/v1/runs/no-such-run")
        #expect(missing.status == 404)
        let missingID = try #require(missing.header("X-Request-ID"))
        #expect(try await Self.lines(withRequestID: missingID, in: server).first?["status"] != nil)

        #expect(await server.stop() == 0)
        let all = Self.objects(server.output)
        #expect(all.count >= 8)
        for object in all {
            for key in ["ts", "level", "logger", "msg"] {
                #expect(object[key]?.stringValue != nil, "a line without \(key): \(object)")
            }
        }
        #expect(all.contains { $0["msg"] == .string("listening") && $0["port"] == .integer(Int64(server.port)) })
        #expect(all.contains { $0["msg"] == .string("open file limit") || $0["msg"]?.stringValue?.hasPrefix("open file limit") == true })
    }

    @Test("access_log false: no access lines, the X-Request-ID header still answered")
    func accessLogOff() async throws {
        let (server, users) = try await Self.start(accessLog: false)
        let answer = try await server.client(users[0]).call("GET", "/v1/agents", headers: [("X-Request-ID", "quiet-1")])
        #expect(answer.status == 200)
        #expect(answer.header("X-Request-ID") == "quiet-1")
        #expect(await server.stop() == 0)
        let all = Self.objects(server.output)
        #expect(!all.isEmpty)
        #expect(!all.contains { $0["logger"] == .string("isolationd.access") })
        #expect(!server.output.contains("quiet-1"))
    }
}
