/// Everything the HTTP server needs to know, with defaults fit for production on one machine.
public struct HTTPServerConfiguration: Sendable {
    /// Address to listen on: an IPv4 or IPv6 literal, or "localhost".
    public var host: String
    /// TCP port; 0 picks a free ephemeral port (read it back from `HTTPServer.boundPort`).
    public var port: Int
    /// Event-loop threads; 0 = one per available core.
    public var eventLoopCount: Int
    /// A loop that handled a busy batch steps aside for other runnable threads on its core
    /// before going on (see `CooperativeYield`): much lower tail latency when the cores are
    /// shared with peers of the request flow.
    public var cooperativeYield: Bool
    /// Open connections across all loops; connections over it are answered 503 and closed.
    public var maxConnections: Int
    /// Open connections from one peer address (IPv4, or IPv6 whole); connections over it are
    /// answered 429 and closed, so one client cannot take every slot. 0: no cap.
    public var maxConnectionsPerPeer: Int
    /// Request-body limit when the responder's `maxBodySize(method:path:)` says nil.
    public var maxBodyBytes: Int
    /// Bytes of request bodies being buffered across all connections at once (see
    /// `RequestBodyBudget`): a body that would pass it is answered 503 with `Retry-After` and
    /// the connection closed without reading it. 0: no bound. At least `maxBodyBytes` otherwise.
    public var maxBodiesInFlightBytes: Int
    /// New connections each second across the server (each loop takes its share); connections
    /// past it wait in the kernel's backlog until the next token (see `AcceptRateLimiter`).
    /// 0: no rate limit (each loop turn still accepts at most `LoopRuntime.acceptBatch`).
    public var maxAcceptsPerSecond: Int
    /// Request-line, header-block and header-count limits (414 / 431).
    public var parserLimits: HTTPParserLimits
    /// Bound on bytes queued for one connection but not yet taken by the socket; streams and
    /// WebSocket sessions report `.overflow` beyond it, and pipelined reading pauses.
    public var outboundBufferBytes: Int
    public var timeouts: Timeouts
    /// The longest a deferred response (`HTTPResponse.deferred`) is awaited: past it the server
    /// answers 503 problem+json with `Retry-After: 1` itself and ignores the late completion
    /// (the application's `onCancel` handlers run). A safety net, not a request deadline.
    public var deferredResponseTimeout: Duration
    /// After `drain()` starts: how long to keep serving (readiness already 503) before accepting stops.
    public var drainDelay: Duration
    /// After accepting stops: how long in-flight requests and streams may continue before every
    /// remaining connection is closed.
    public var drainDeadline: Duration
    /// `Retry-After` seconds sent with the 503 that refuses new requests during a drain.
    public var drainRetryAfterSeconds: Int
    /// Built-in `/healthz`, `/livez`, `/readyz` answered before the responder.
    public var probesEnabled: Bool
    /// The `Server` header value; nil sends none.
    public var serverName: String?
    /// What `/readyz` checks besides the server's phase (the application's database): ready
    /// only while every check passes. Set after `init`; empty by default.
    public var readinessChecks: [ReadinessCheck] = []
    /// Serve TLS (every connection of the listener) with this context; nil serves plain HTTP.
    public var tls: TLSContext?
    public var compression: Compression

    /// gzip for responses and request bodies.
    public struct Compression: Sendable {
        /// Compress responses when the client accepts gzip, the type is compressible and the
        /// body is at least `minimumBytes`.
        public var enabled: Bool
        public var minimumBytes: Int
        /// zlib level 1...9.
        public var level: Int
        /// Also compress streamed bodies (flushed per write, so each event arrives at once).
        public var streams: Bool
        /// `Content-Encoding: gzip` request bodies are inflated up to this size (and the route's
        /// body limit); larger: 413.
        public var maxRequestDecompressedBytes: Int
        /// ... and at most this many times their compressed size (bomb guard); larger: 413.
        public var maxRequestRatio: Int

        public init(enabled: Bool = true, minimumBytes: Int = 1024, level: Int = 5, streams: Bool = false,
                    maxRequestDecompressedBytes: Int = 1 << 20, maxRequestRatio: Int = 100) {
            self.enabled = enabled
            self.minimumBytes = minimumBytes
            self.level = level
            self.streams = streams
            self.maxRequestDecompressedBytes = maxRequestDecompressedBytes
            self.maxRequestRatio = maxRequestRatio
        }
    }

    /// Per-connection timers. Each is enforced by the connection's loop.
    public struct Timeouts: Sendable {
        /// From the first byte of a request (or the accept) to its complete head: 408, then close.
        public var requestHead: Duration
        /// Keep-alive connection without a request in flight: closed silently.
        public var idle: Duration
        /// From the complete head to the complete body: 408, then close.
        public var body: Duration
        /// Queued response bytes the peer does not take for this long: the connection is closed.
        public var write: Duration
        /// TLS handshake from accept to completion: closed.
        public var tlsHandshake: Duration
        /// After an error answer (or `Connection: close`) the connection half-closes and reads
        /// what the client still sends for at most this long, so the answer is not lost to a reset.
        public var lingerOnClose: Duration

        public init(requestHead: Duration = .seconds(10), idle: Duration = .seconds(60),
                    body: Duration = .seconds(30), write: Duration = .seconds(30),
                    tlsHandshake: Duration = .seconds(10), lingerOnClose: Duration = .seconds(2)) {
            self.requestHead = requestHead
            self.idle = idle
            self.body = body
            self.write = write
            self.tlsHandshake = tlsHandshake
            self.lingerOnClose = lingerOnClose
        }
    }

    public init(host: String = "127.0.0.1", port: Int = 8080, eventLoopCount: Int = 0, cooperativeYield: Bool = true,
                maxConnections: Int = 20_000, maxConnectionsPerPeer: Int = 256, maxBodyBytes: Int = 1 << 20,
                maxBodiesInFlightBytes: Int = 64 << 20, maxAcceptsPerSecond: Int = 0,
                parserLimits: HTTPParserLimits = .init(), outboundBufferBytes: Int = 1 << 20,
                timeouts: Timeouts = .init(), drainDelay: Duration = .zero,
                drainDeadline: Duration = .seconds(10), drainRetryAfterSeconds: Int = 1,
                probesEnabled: Bool = true, serverName: String? = nil,
                tls: TLSContext? = nil, compression: Compression = .init(),
                deferredResponseTimeout: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.eventLoopCount = eventLoopCount
        self.cooperativeYield = cooperativeYield
        self.maxConnections = maxConnections
        self.maxConnectionsPerPeer = maxConnectionsPerPeer
        self.maxBodyBytes = maxBodyBytes
        self.maxBodiesInFlightBytes = maxBodiesInFlightBytes
        self.maxAcceptsPerSecond = maxAcceptsPerSecond
        self.parserLimits = parserLimits
        self.outboundBufferBytes = outboundBufferBytes
        self.timeouts = timeouts
        self.drainDelay = drainDelay
        self.drainDeadline = drainDeadline
        self.drainRetryAfterSeconds = drainRetryAfterSeconds
        self.probesEnabled = probesEnabled
        self.serverName = serverName
        self.tls = tls
        self.compression = compression
        self.deferredResponseTimeout = deferredResponseTimeout
    }
}
