import HTTPServer

extension ServerSettings {
    /// The HTTP server's configuration for these settings. `accessLog` comes from
    /// `logging.access_log`. (TLS and compression are applied by the server once it supports
    /// them; `ServiceConfiguration.unsupportedFeatures` says which are not yet.)
    public func httpServerConfiguration(accessLog: Bool) -> HTTPServerConfiguration {
        HTTPServerConfiguration(
            host: host,
            port: port,
            eventLoopCount: eventLoops,
            maxConnections: maxConnections,
            maxBodyBytes: maxBodyBytes,
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
            accessLog: accessLog,
            serverName: "isolationd")
    }
}
