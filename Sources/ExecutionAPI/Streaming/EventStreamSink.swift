import ExecutionCore
import HTTPServer

/// Why a stream ended (each has its own final frame or close code).
enum StreamEnding: Sendable, Equatable {
    /// The client fell behind (hub queue or connection buffer full).
    case slowConsumer
    /// The server is draining, or the hub was shut down.
    case serverShutdown
    /// The client left (or the response never started): nothing more can be written.
    case clientGone
    /// A run stream delivered its run's terminal event (or learned it is no longer retained).
    case runFinished
    /// The replay could not be read from the database: the client may resume with its cursor.
    case unavailable
}

/// The transport a stream is written to (the `transport` label of the stream metrics).
public enum StreamTransport: String, Sendable, CaseIterable {
    case sse
    case webSocket = "websocket"
}

/// Where a stream writes: an SSE response or a WebSocket session. Called on its `loop` only,
/// where every write goes straight into the connection's outbound buffer. A class (its
/// existential is then two words, not five: it sits in every idle stream).
protocol EventStreamSink: AnyObject, Sendable {
    /// The loop that owns the connection.
    var loop: any ConnectionLoop { get }
    var transport: StreamTransport { get }
    /// Sends a `: ping` comment on quiet streams; false for transports that need none.
    var wantsHeartbeats: Bool { get }
    /// Bytes the transport adds around each event's JSON at most (SSE lines, a frame header).
    var framingBytesPerEvent: Int { get }
    /// Bytes written and not yet taken by the socket, and the connection's bound on them: a
    /// batch is sized to what fits (see `EventStream.drainBatch`).
    var outboundBacklog: Int { get }
    var outboundBound: Int { get }
    /// Runs `handler` once on the loop after the socket has taken everything written.
    func whenDrained(_ handler: @escaping @Sendable () -> Void)
    /// The first bytes of the stream (SSE: `retry:`).
    func open() -> StreamWriteResult
    /// Writes a gap notice (if any) and events, in order, as few writes as the transport allows.
    /// `written`: how many of `events` were queued (all of them unless the result is not `.queued`).
    func deliver(gap: EventGap?, events: [PublishedEvent]) -> (result: StreamWriteResult, written: Int)
    func heartbeat() -> StreamWriteResult
    /// Confirms a WebSocket `subscribe` message.
    func acknowledge(filter: EventFilter, after: UInt64?) -> StreamWriteResult
    /// Answers a client message that could not be honoured.
    func reject(code: String, detail: String) -> StreamWriteResult
    /// Ends the stream with `ending`'s final frame; `lastEventID` is what the client may resume after.
    func end(_ ending: StreamEnding, lastEventID: UInt64?)
}

/// The JSON bodies of the frames a stream writes besides events.
enum StreamNotice {
    static func gap(_ gap: EventGap) -> [UInt8] {
        JSONValue.object([
            "type": .string("gap"),
            "requested_after": .integer(Int64(clamping: gap.requestedAfter)),
            "first_available_id": .integer(Int64(clamping: gap.firstAvailableID)),
            "lost_count": gap.lostCount.map { .integer(Int64(clamping: $0)) } ?? .null,
        ]).serialized()
    }

    static func ending(_ ending: StreamEnding, lastEventID: UInt64?, retryMilliseconds: Int) -> [UInt8] {
        let (type, reason, detail): (String, String, String) = switch ending {
        case .slowConsumer:
            ("error", "slow_consumer", "the client fell too far behind; reconnect with Last-Event-ID to resume from the replay ring")
        case .serverShutdown:
            ("server_shutdown", "server_shutdown", "the server is shutting down; reconnect with Last-Event-ID to resume")
        case .unavailable:
            ("error", "unavailable", "the event store is unavailable; reconnect with Last-Event-ID to resume")
        case .runFinished, .clientGone:
            ("end", "end", "the stream is complete")
        }
        return JSONValue.object([
            "type": .string(type),
            "reason": .string(reason),
            "detail": .string(detail),
            "last_event_id": lastEventID.map { .integer(Int64(clamping: $0)) } ?? .null,
            "retry_ms": .integer(Int64(retryMilliseconds)),
        ]).serialized()
    }

    static func filterJSON(_ filter: EventFilter) -> JSONValue {
        .object([
            "thread_id": filter.threadID.map(JSONValue.string) ?? .null,
            "run_id": filter.runID.map(JSONValue.string) ?? .null,
            "execution_id": filter.executionID.map(JSONValue.string) ?? .null,
        ])
    }

    static func subscribed(filter: EventFilter, after: UInt64?) -> [UInt8] {
        JSONValue.object([
            "type": .string("subscribed"),
            "filter": filterJSON(filter),
            "after": after.map { .integer(Int64(clamping: $0)) } ?? .null,
        ]).serialized()
    }

    static func error(code: String, detail: String) -> [UInt8] {
        JSONValue.object(["type": .string("error"), "error": .string(code), "detail": .string(detail)]).serialized()
    }
}
