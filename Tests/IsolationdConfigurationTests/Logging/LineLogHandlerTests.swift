import ExecutionAPI
import ExecutionCore
@testable import IsolationdConfiguration
import Logging
import Synchronization
import Testing
import VisibleLocks

/// Collects what a `LogSink` receives.
final class CollectedLines: Sendable {
    let bytes = VisibleMutex<[UInt8]>([])
    var sink: LogSink { LogSink { line in self.bytes.withLock { $0.append(contentsOf: line) } } }
    var lines: [String] {
        let text = bytes.withLock { String(decoding: $0, as: UTF8.self) }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}

@Suite("Line log handler")
struct LineLogHandlerTests {
    let clock = ManualClock(start: Timestamp(nanoseconds: 1_767_225_600_123_000_000)) // 2026-01-01T00:00:00.123Z

    @Test("json: one valid JSON object per line, standard members first, metadata kept")
    func jsonLines() throws {
        let collected = CollectedLines()
        var logger = Logger(label: "isolationd") { label in
            LineLogHandler(label: label, level: .debug, format: .json, sink: collected.sink, clock: clock)
        }
        logger[metadataKey: "component"] = "test"
        logger.info("first line\nwith a newline and \"quotes\"", metadata: ["user": "demo-alice", "n": "\(3)"])
        logger.debug("second", metadata: ["msg": "collides", "nested": ["a": ["1", "2"]],
                                          "json": .stringConvertible(JSONLogValue(.object(["port": .integer(8080)])))])
        logger.trace("below the level")
        let lines = collected.lines
        #expect(lines.count == 3)
        #expect(lines.last == "")
        for line in lines.dropLast() {
            let object = try #require(try? JSONValue.parse(line))
            #expect(object["logger"] == .string("isolationd"))
            #expect(object["ts"] == .string("2026-01-01T00:00:00.123Z"))
            #expect(object["component"] == .string("test"))
        }
        let first = try JSONValue.parse(lines[0])
        #expect(first["level"] == .string("info"))
        #expect(first["msg"] == .string("first line\nwith a newline and \"quotes\""))
        #expect(first["user"] == .string("demo-alice"))
        #expect(lines[0].hasPrefix(#"{"ts":"2026-01-01T00:00:00.123Z","level":"info","logger":"isolationd","msg":"#))
        let second = try JSONValue.parse(lines[1])
        #expect(second["msg"] == .string("second"))
        #expect(second["meta.msg"] == .string("collides"))
        #expect(second["nested"] == .object(["a": .array([.string("1"), .string("2")])]))
        #expect(second["json"] == .object(["port": .integer(8080)]))
    }

    @Test("json: numbers and booleans given as values are written as JSON numbers and booleans")
    func plainNumbers() throws {
        let collected = CollectedLines()
        let logger = Logger(label: "isolationd.access") { label in
            LineLogHandler(label: label, level: .info, format: .json, sink: collected.sink, clock: clock)
        }
        logger.info("GET / 200", metadata: ["status": .stringConvertible(200), "duration_ms": .stringConvertible(0.25),
                                            "tls": .stringConvertible(true), "huge": .stringConvertible(UInt64.max),
                                            "text": "200"])
        let line = try JSONValue.parse(try #require(collected.lines.first))
        #expect(line["status"] == .integer(200))
        #expect(line["duration_ms"] == .double(0.25))
        #expect(line["tls"] == .bool(true))
        #expect(line["huge"] == .string("18446744073709551615"))
        #expect(line["text"] == .string("200"))
    }

    @Test("text: one readable line per event, control characters escaped")
    func textLines() {
        let collected = CollectedLines()
        let logger = Logger(label: "isolationd") { label in
            LineLogHandler(label: label, level: .info, format: .text, sink: collected.sink, clock: clock)
        }
        logger.warning("two\nlines", metadata: ["path": "/v1/contexts", "note": "has space"])
        let lines = collected.lines
        #expect(lines == [#"2026-01-01T00:00:00.123Z warning isolationd: two\nlines note="has space" path=/v1/contexts"#, ""])
    }

    @Test("lines written from many threads at once never interleave")
    func concurrentWrites() async throws {
        let collected = CollectedLines()
        let logger = Logger(label: "load") { label in
            LineLogHandler(label: label, level: .info, format: .json, sink: collected.sink, clock: clock)
        }
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for n in 0..<50 { logger.info("message \(task)-\(n)", metadata: ["payload": "\(String(repeating: "x", count: 500))"]) }
                }
            }
        }
        let lines = collected.lines.dropLast()
        #expect(lines.count == 400)
        for line in lines { #expect((try? JSONValue.parse(line))?["payload"]?.stringValue?.count == 500) }
    }
}
