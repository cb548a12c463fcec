import ExecutionAPI
import ExecutionCore
import HTTPServer
import IsolationdConfiguration
import IsolationdTesting
import Logging
import Synchronization
import Testing
import VisibleLocks

/// Lines a route logs while it handles a request carry that request's id (the metadata provider
/// the binary bootstraps logging with), over a real socket through `APIResponder`.
@Suite("Request ids on log lines")
struct RequestIDLoggingTests {
    final class Lines: Sendable {
        private let lines = VisibleMutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func append(_ bytes: [UInt8]) { lines.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } }
    }

    @Test("A route's own log line and the access line carry the request id; lines outside a request do not")
    func routeLinesCarryTheID() async throws {
        let lines = Lines()
        let sink = LogSink { lines.append($0) }
        let makeLogger = { (label: String) in
            Logger(label: label) { label in
                LineLogHandler(label: label, level: .info, format: .json, sink: sink,
                               metadataProvider: RequestID.metadataProvider)
            }
        }
        let routeLogger = makeLogger("test.route")
        var router = Router()
        router.get("/work") { _ in
            routeLogger.info("working")
            return HTTPResponse(status: .ok, contentType: "text/plain", body: Array("done".utf8))
        }
        let responder = APIResponder(router: router, metrics: nil, accessLog: makeLogger("test.access"))
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            defer { client.close() }
            let given = try await client.request("GET", "/work", headers: [("X-Request-ID", "given-id-1")])
            #expect(given.header("X-Request-ID") == "given-id-1")
            let made = try await client.request("GET", "/work")
            let madeID = try #require(made.header("X-Request-ID"))
            #expect(madeID != "given-id-1")
            let tooLong = try await client.request("GET", "/work", headers: [("X-Request-ID", String(repeating: "a", count: 129))])
            #expect(tooLong.header("X-Request-ID")?.count ?? 0 < 129)
        }
        routeLogger.info("outside any request")

        let parsed = try lines.all.map { try JSONValue.parse($0) }
        let working = parsed.filter { $0["msg"] == .string("working") }
        #expect(working.count == 3)
        #expect(working.first?["request_id"] == .string("given-id-1"))
        let access = parsed.filter { $0["logger"] == .string("test.access") }
        #expect(access.count == 3)
        #expect(access.first?["request_id"] == .string("given-id-1"))
        #expect(access.first?["status"] == .integer(200))
        // The route's line and the access line of each request agree.
        #expect(working.map { $0["request_id"] } == access.map { $0["request_id"] })
        let outside = try #require(parsed.first { $0["msg"] == .string("outside any request") })
        #expect(outside["request_id"] == nil)
    }

    @Test("Which client ids are kept", arguments: [
        ("abc", true), ("0b1e4c1e-7d65-4e3e-9f5b-0a8e3c4d5f60", true), ("trace.1:2_3", true),
        ("", false), ("has space", false), ("quote\"", false), ("new\nline", false), ("é", false),
        (String(repeating: "x", count: 128), true), (String(repeating: "x", count: 129), false),
    ])
    func acceptance(id: String, kept: Bool) {
        #expect(RequestID.isAcceptable(id) == kept)
    }
}
