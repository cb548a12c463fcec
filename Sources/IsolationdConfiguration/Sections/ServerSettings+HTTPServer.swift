import HTTPServer

extension ServerSettings {
    /// The HTTP server's configuration for these settings: limits, timeouts, drain and
    /// `server.compression` (the access log is the service's, see `APIResponder`). `tls` serves
    /// TLS on this listener; `port` overrides `server.port` (the TLS listener beside a plain one).
    public func httpServerConfiguration(tls: TLSContext? = nil, port: Int? = nil) -> HTTPServerConfiguration {
        HTTPServerConfiguration(
            host: host,
            port: port ?? self.port,
            eventLoopCount: eventLoops,
            cooperativeYield: cooperativeYield,
            maxConnections: maxConnections, maxConnectionsPerPeer: maxConnectionsPerPeer,
            maxBodyBytes: maxBodyBytes,
            maxBodiesInFlightBytes: maxBodiesInFlightBytes, maxAcceptsPerSecond: maxAcceptsPerSecond,
            parserLimits: HTTPParserLimits(maxRequestLineBytes: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes,
                                           maxHeaderCount: maxHeaderCount),
            outboundBufferBytes: outboundBufferBytes,
            timeouts: HTTPServerConfiguration.Timeouts(
                requestHead: .seconds(timeouts.requestHeadSeconds), idle: .seconds(timeouts.idleSeconds),
                body: .seconds(timeouts.bodySeconds), write: .seconds(timeouts.writeSeconds),
                tlsHandshake: .seconds(timeouts.tlsHandshakeSeconds)),
            drainDelay: .seconds(drain.delaySeconds),
            drainDeadline: .seconds(drain.deadlineSeconds),
            drainRetryAfterSeconds: 1,
            probesEnabled: true,
            serverName: "isolationd",
            tls: tls,
            compression: httpCompression,
            deferredResponseTimeout: .seconds(timeouts.deferredResponseSeconds))
    }

    /// `server.compression` in the server's terms.
    public var httpCompression: HTTPServerConfiguration.Compression {
        HTTPServerConfiguration.Compression(
            enabled: compression.enabled, minimumBytes: compression.minBytes, level: compression.level,
            streams: compression.streams, maxRequestDecompressedBytes: compression.maxRequestDecompressedBytes,
            maxRequestRatio: compression.maxRequestRatio)
    }

    /// The TLS context for `server.tls` (nil when it is not set). Reads the certificate chain and
    /// the private key; throws TLSError naming the file that could not be used.
    public func makeTLSContext() throws(TLSError) -> TLSContext? {
        guard let tls else { return nil }
        return try TLSContext(certificateChainPath: tls.certificateFile, privateKeyPath: tls.privateKeyFile,
                              requireTLS13: tls.minimumVersion == "1.3")
    }
}
