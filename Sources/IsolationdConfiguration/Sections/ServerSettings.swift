/// `server`: the listening socket, limits, timeouts, drain, TLS and compression.
public struct ServerSettings: Sendable, Equatable {
    public var host = "127.0.0.1"
    /// 0 asks the kernel for a free port (tests).
    public var port = 8080
    /// 0: one event loop per core.
    public var eventLoops = 0
    /// Loops step aside for other runnable threads after a busy batch (HTTPServer's
    /// `cooperativeYield`).
    public var cooperativeYield = true
    public var maxConnections = 20_000
    /// Open connections from one peer address; over it 429 and close (0: no cap).
    public var maxConnectionsPerPeer = 256
    public var maxBodyBytes = 1_048_576
    /// Request-body bytes buffered across all connections; a body past it: 503 (0: no bound).
    public var maxBodiesInFlightBytes = 64 << 20
    /// New connections per second across the server (0: no rate, only the per-turn batch).
    public var maxAcceptsPerSecond = 0
    public var maxRequestLineBytes = 8192
    public var maxHeaderBytes = 16_384
    public var maxHeaderCount = 100
    /// The bound on each connection's queued outbound bytes (slow readers are cut off beyond it).
    public var outboundBufferBytes = 1_048_576
    public var timeouts = Timeouts()
    public var drain = Drain()
    /// nil: plain HTTP.
    public var tls: TLS?
    public var compression = Compression()
    /// `server.cors`: which other origins' pages may use the API (off by default).
    public var cors = CORS()
    /// `server.websocket_echo_path`: a WebSocket echo for external RFC 6455 suites (nil: off).
    public var websocketEchoPath: String?

    public init() {}

    /// `server.timeouts`, in seconds.
    public struct Timeouts: Sendable, Equatable {
        /// From the first byte of a request to the end of its head (slowloris defence).
        public var requestHeadSeconds: Double = 10
        /// A keep-alive connection with no request in progress.
        public var idleSeconds: Double = 60
        public var bodySeconds: Double = 30
        public var writeSeconds: Double = 30
        public var tlsHandshakeSeconds: Double = 10
        /// The longest a request waits for an answer that comes after a round trip (the
        /// database); past it the server answers 503 itself.
        public var deferredResponseSeconds: Double = 30
        public init() {}
    }

    /// `server.drain`: what SIGTERM does.
    public struct Drain: Sendable, Equatable {
        /// How long to keep serving (readiness already 503) before closing the listener, so load
        /// balancers see the change first. 0 outside containers.
        public var delaySeconds: Double = 0
        /// How long in-flight requests, streams and runs get before the process exits anyway.
        public var deadlineSeconds: Double = 10
        public init() {}
    }

    /// `server.tls`: file paths only; the key file is read by the TLS layer, never by the
    /// configuration and never logged.
    public struct TLS: Sendable, Equatable {
        public var certificateFile: String
        public var privateKeyFile: String
        /// "1.2" or "1.3".
        public var minimumVersion = "1.2"
        /// nil: `server.port` itself serves TLS (and only TLS). A port: `server.port` stays plain
        /// HTTP and this port serves TLS beside it (0: any free port, for tests).
        public var port: Int?
        public init(certificateFile: String, privateKeyFile: String) {
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
        }
    }

    /// `server.compression`: gzip of responses, and limits on gzip-encoded request bodies.
    public struct Compression: Sendable, Equatable {
        public var enabled = true
        /// Bodies shorter than this are sent as they are.
        public var minBytes = 1024
        /// zlib level, 1 (fast) to 9 (small).
        public var level = 5
        /// Compress event streams too (flushed per event). Off: proxies buffer less.
        public var streams = false
        /// A gzip request body may inflate to at most this many bytes...
        public var maxRequestDecompressedBytes = 1_048_576
        /// ...and to at most this ratio of its compressed size (zip-bomb guard).
        public var maxRequestRatio = 100
        public init() {}
    }
}

extension ServerSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        let d = ServerSettings()
        host = try o.string("host", default: d.host)
        port = try o.int("port", default: d.port, min: 0, max: 65_535)
        eventLoops = try o.int("event_loops", default: d.eventLoops, min: 0, max: 1024)
        cooperativeYield = try o.bool("cooperative_yield", default: d.cooperativeYield)
        maxConnections = try o.int("max_connections", default: d.maxConnections, min: 1, max: 10_000_000)
        maxConnectionsPerPeer = try o.int("max_connections_per_peer", default: d.maxConnectionsPerPeer, min: 0, max: 10_000_000)
        maxBodyBytes = try o.int("max_body_bytes", default: d.maxBodyBytes, min: 0, max: 1 << 40)
        maxBodiesInFlightBytes = try o.int("max_bodies_in_flight_bytes", default: d.maxBodiesInFlightBytes, min: 0, max: 1 << 40)
        if maxBodiesInFlightBytes > 0, maxBodiesInFlightBytes < maxBodyBytes {
            throw o.error("max_bodies_in_flight_bytes", "must be 0 or at least max_body_bytes (\(maxBodyBytes))")
        }
        maxAcceptsPerSecond = try o.int("max_accepts_per_second", default: d.maxAcceptsPerSecond, min: 0, max: 10_000_000)
        maxRequestLineBytes = try o.int("max_request_line_bytes", default: d.maxRequestLineBytes, min: 64, max: 1 << 20)
        maxHeaderBytes = try o.int("max_header_bytes", default: d.maxHeaderBytes, min: 256, max: 1 << 24)
        maxHeaderCount = try o.int("max_header_count", default: d.maxHeaderCount, min: 1, max: 10_000)
        outboundBufferBytes = try o.int("outbound_buffer_bytes", default: d.outboundBufferBytes, min: 1024, max: 1 << 40)
        timeouts = try o.section("timeouts") { (t: inout ConfigObject) throws(ConfigurationError) in
            var v = Timeouts()
            v.requestHeadSeconds = try t.seconds("request_head_seconds", default: v.requestHeadSeconds, allowZero: false)
            v.idleSeconds = try t.seconds("idle_seconds", default: v.idleSeconds, allowZero: false)
            v.bodySeconds = try t.seconds("body_seconds", default: v.bodySeconds, allowZero: false)
            v.writeSeconds = try t.seconds("write_seconds", default: v.writeSeconds, allowZero: false)
            v.tlsHandshakeSeconds = try t.seconds("tls_handshake_seconds", default: v.tlsHandshakeSeconds, allowZero: false)
            v.deferredResponseSeconds = try t.seconds("deferred_response_seconds", default: v.deferredResponseSeconds, allowZero: false)
            return v
        }
        drain = try o.section("drain") { (t: inout ConfigObject) throws(ConfigurationError) in
            var v = Drain()
            v.delaySeconds = try t.seconds("delay_seconds", default: v.delaySeconds, allowZero: true)
            v.deadlineSeconds = try t.seconds("deadline_seconds", default: v.deadlineSeconds, allowZero: false)
            return v
        }
        tls = try o.optionalSection("tls") { (t: inout ConfigObject) throws(ConfigurationError) in
            guard let cert = try t.optionalString("cert_file") else { throw t.error("cert_file", "must be a file path when server.tls is set") }
            guard let key = try t.optionalString("key_file") else { throw t.error("key_file", "must be a file path when server.tls is set") }
            var v = TLS(certificateFile: cert, privateKeyFile: key)
            v.minimumVersion = try t.string("min_version", default: v.minimumVersion, oneOf: ["1.2", "1.3"])
            if t.optionalValue("port") != nil { v.port = try t.int("port", default: 0, min: 0, max: 65_535) }
            return v
        }
        compression = try o.section("compression") { (t: inout ConfigObject) throws(ConfigurationError) in
            var v = Compression()
            v.enabled = try t.bool("enabled", default: v.enabled)
            v.minBytes = try t.int("min_bytes", default: v.minBytes, min: 0)
            v.level = try t.int("level", default: v.level, min: 1, max: 9)
            v.streams = try t.bool("streams", default: v.streams)
            v.maxRequestDecompressedBytes = try t.int("max_request_decompressed_bytes",
                                                      default: v.maxRequestDecompressedBytes, min: 1, max: 1 << 40)
            v.maxRequestRatio = try t.int("max_request_ratio", default: v.maxRequestRatio, min: 1, max: 100_000)
            return v
        }
        cors = try o.section("cors") { (t: inout ConfigObject) throws(ConfigurationError) in try CORS(reading: &t) }
        websocketEchoPath = try ServerSettings.echoPath(reading: &o)
    }
}
