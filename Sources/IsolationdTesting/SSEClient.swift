import HTTPServer
import Synchronization
import VisibleLocks

/// One dispatched server-sent event.
public struct SSEEvent: Sendable, Equatable {
    /// The `id:` of this event, if it had one.
    public var id: String?
    /// The `event:` type ("message" when none was given).
    public var event: String
    public var data: String

    public init(id: String?, event: String, data: String) {
        self.id = id
        self.event = event
        self.data = data
    }
}

/// What the stream said, in order.
public enum SSEItem: Sendable, Equatable {
    case event(SSEEvent)
    /// A `:` line (without the colon and one leading space).
    case comment(String)
    /// A valid `retry:` field.
    case retry(Int)
}

/// The event-stream interpretation of the HTML Living Standard ("Server-sent events", §9.2.6):
/// lines end with CRLF, LF or CR; `:` starts a comment; `field: value` with one optional space;
/// `data` lines join with LF; a blank line dispatches (nothing when no data was buffered); `id`
/// without NUL sets the last event id, which persists across events; `retry` takes ASCII digits only.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var sawCR = false
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType = ""
    private var eventID: String?
    private var idInThisEvent = false
    /// The last event id as the stream set it (what a reconnecting client sends as `Last-Event-ID`).
    public private(set) var lastEventID = ""

    public init() {}

    /// Feeds bytes; returns the items they completed.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [SSEItem] {
        var items: [SSEItem] = []
        for byte in bytes {
            if sawCR {
                sawCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0D:
                sawCR = true
                processLine(&items)
            case 0x0A:
                processLine(&items)
            default:
                line.append(byte)
            }
        }
        return items
    }

    private mutating func processLine(_ items: inout [SSEItem]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            dispatch(&items)
            return
        }
        if line[0] == UInt8(ascii: ":") {
            var text = line.dropFirst()
            if text.first == 0x20 { text = text.dropFirst() }
            items.append(.comment(String(decoding: text, as: UTF8.self)))
            return
        }
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let name = String(decoding: line[..<(colon ?? line.endIndex)], as: UTF8.self)
        var value = colon.map { line[($0 + 1)...] } ?? []
        if value.first == 0x20 { value = value.dropFirst() }
        switch name {
        case "event":
            eventType = String(decoding: value, as: UTF8.self)
        case "data":
            data.append(contentsOf: value)
            data.append(0x0A)
            hasData = true
        case "id":
            if !value.contains(0) {
                lastEventID = String(decoding: value, as: UTF8.self)
                eventID = lastEventID
                idInThisEvent = true
            }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let ms = Int(String(decoding: value, as: UTF8.self)) {
                items.append(.retry(ms))
            }
        default:
            break
        }
    }

    private mutating func dispatch(_ items: inout [SSEItem]) {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventType = ""
            eventID = nil
            idInThisEvent = false
        }
        guard hasData else { return }
        if data.last == 0x0A { data.removeLast() }
        items.append(.event(SSEEvent(id: idInThisEvent ? eventID : nil,
                                     event: eventType.isEmpty ? "message" : eventType,
                                     data: String(decoding: data, as: UTF8.self))))
    }
}

/// A raw-socket SSE reader for tests: sends a GET (optionally with `Last-Event-ID` and a bearer
/// token), reads the response head, then parses the chunked body into `SSEItem`s.
public final class SSEClient: Sendable {
    public let connection: RawHTTPClient
    /// The response head (status, headers).
    public let head: RawHTTPResponse
    private let state = VisibleMutex(State())

    private struct State {
        var parser = SSEParser()
        var pending: [SSEItem] = []
        var ended = false
    }

    private init(connection: RawHTTPClient, head: RawHTTPResponse) {
        self.connection = connection
        self.head = head
    }

    /// Connects, sends `GET path` and reads the head. For a status other than 200 the body is
    /// read too (`errorBody`).
    public static func connect(port: Int, path: String, token: String? = nil, lastEventID: String? = nil,
                               headers: [(String, String)] = [], timeout: Duration = .seconds(10)) async throws -> SSEClient {
        let connection = try await RawHTTPClient.connect(port: port, timeout: timeout)
        var all = [("Accept", "text/event-stream")]
        if let token { all.append(("Authorization", "Bearer \(token)")) }
        if let lastEventID { all.append(("Last-Event-ID", lastEventID)) }
        all += headers
        try await connection.sendRequest("GET", path, headers: all)
        let head = try await connection.readHead()
        return SSEClient(connection: connection, head: head)
    }

    public var status: Int { head.status }

    /// The body of a non-200 answer (problem+json).
    public func errorBody() async throws -> String {
        if let length = head.headers["Content-Length"].flatMap(Int.init) {
            return String(decoding: try await connection.readBody(length: length), as: UTF8.self)
        }
        return ""
    }

    /// The next item; nil once the stream has ended (last chunk or connection closed).
    public func next() async throws -> SSEItem? {
        while true {
            let (item, ended) = state.withLock { state -> (SSEItem?, Bool) in
                state.pending.isEmpty ? (nil, state.ended) : (state.pending.removeFirst(), false)
            }
            if let item { return item }
            if ended { return nil }
            let chunk: [UInt8]?
            do {
                chunk = try await connection.readChunk()
            } catch RawHTTPClientError.closed {
                chunk = nil
            }
            state.withLock { state in
                if let chunk { state.pending += state.parser.feed(chunk) } else { state.ended = true }
            }
        }
    }

    /// The next event, skipping comments and `retry:`; nil at the end of the stream.
    public func nextEvent() async throws -> SSEEvent? {
        while let item = try await next() {
            if case .event(let event) = item { return event }
        }
        return nil
    }

    /// The next `count` events (fewer only if the stream ends first).
    public func events(_ count: Int) async throws -> [SSEEvent] {
        var events: [SSEEvent] = []
        while events.count < count, let event = try await nextEvent() { events.append(event) }
        return events
    }

    /// Every item until the stream ends.
    public func remainingItems(limit: Int = 100_000) async throws -> [SSEItem] {
        var items: [SSEItem] = []
        while items.count < limit, let item = try await next() { items.append(item) }
        return items
    }

    public var lastEventID: String { state.withLock { $0.parser.lastEventID } }

    public func close() { connection.close() }
}

extension RawHTTPClient {
    /// Exactly `length` body bytes.
    public func readBody(length: Int) async throws -> [UInt8] {
        try await BlockingIO.run { try self.take(length) }
    }
}
