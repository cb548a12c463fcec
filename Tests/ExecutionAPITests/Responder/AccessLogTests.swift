@testable import ExecutionAPI
import HTTPServer
import Logging
import Synchronization
import Testing
import VisibleLocks

/// The one access log, read through a handler that keeps what it is given.
@Suite("Access log")
struct AccessLogTests {
    /// Keeps every logged event's level, message and metadata.
    struct KeptEvent: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    final class Kept: Sendable {
        let events = VisibleMutex<[KeptEvent]>([])
        var all: [KeptEvent] { events.withLock { $0 } }
    }

    struct KeepingHandler: LogHandler {
        let kept: Kept
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            kept.events.withLock { $0.append(KeptEvent(level: event.level, message: event.message.description,
                                                       metadata: event.metadata ?? [:])) }
        }
    }

    static func responder(_ kept: Kept) -> APIResponder {
        var router = Router()
        router.get("/v1/events/ws") { _ in HTTPResponse(status: .ok, contentType: "text/plain", body: Array("fine".utf8)) }
        return APIResponder(router: router, metrics: nil, accessLog: Logger(label: "test.access") { _ in KeepingHandler(kept: kept) })
    }

    @Test("one info line per request: id, method, path, status and size as numbers, duration, peer")
    func oneLine() throws {
        let kept = Kept()
        let answer = Self.responder(kept).respond(to: HTTPRequest(method: .get, target: "/v1/events/ws",
                                                                  headers: ["X-Request-ID": "trace-1"], remoteAddress: "127.0.0.1:5"))
        let event = try #require(kept.all.first)
        #expect(kept.all.count == 1)
        #expect(event.level == .info)
        #expect(event.message == "GET /v1/events/ws 200")
        #expect(answer.headers["X-Request-ID"] == "trace-1")
        #expect(event.metadata["request_id"]?.description == "trace-1")
        #expect(event.metadata["method"]?.description == "GET")
        #expect(event.metadata["path"]?.description == "/v1/events/ws")
        #expect(event.metadata["peer"]?.description == "127.0.0.1:5")
        guard case .stringConvertible(let status as Int)? = event.metadata["status"],
              case .stringConvertible(let bytes as Int)? = event.metadata["bytes"],
              case .stringConvertible(let duration as Double)? = event.metadata["duration_ms"] else {
            Issue.record("status, bytes and duration_ms are not numbers: \(event.metadata)")
            return
        }
        #expect(status == 200 && bytes == 4 && duration >= 0)
        #expect(event.metadata["query"] == nil)
    }

    @Test("a query token never reaches the log; the rest of the query does")
    func tokenRedacted() throws {
        let kept = Kept()
        let responder = Self.responder(kept)
        _ = responder.respond(to: HTTPRequest(method: .get, target: "/v1/events/ws?after=3&access_token=sk-secret&thread_id=t"))
        let event = try #require(kept.all.first)
        #expect(event.metadata["query"]?.description == "after=3&access_token=<redacted>&thread_id=t")
        #expect(!"\(event.message) \(event.metadata)".contains("sk-secret"))
    }

    @Test("access_token values are replaced; everything else is kept as sent", arguments: [
        ("access_token=sk-secret", "access_token=<redacted>"),
        ("after=3&access_token=sk-secret&thread_id=t", "after=3&access_token=<redacted>&thread_id=t"),
        ("after=3", "after=3"),
        ("my_access_token=x", "my_access_token=x"),
        ("access_token=a&access_token=b", "access_token=<redacted>&access_token=<redacted>"),
        ("a=1&&access_token=", "a=1&&access_token=<redacted>"),
    ])
    func redaction(_ query: String, _ logged: String) {
        #expect(AccessLog.redacted(query: query[...]) == logged)
    }

    @Test("the query is what follows the first ?, nil when there is none or it is empty", arguments: [
        ("/v1/events", nil), ("/v1/events?", nil), ("/v1/events?after=1", "after=1"), ("/a?b=c?d", "b=c?d"),
    ] as [(String, String?)])
    func query(_ target: String, _ query: String?) {
        #expect(AccessLog.query(of: target).map(String.init) == query)
    }
}
