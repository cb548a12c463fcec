import ExecutionCore
import HTTPServer
@testable import IsolationdConfiguration
import Testing

@Suite("Configuration to HTTP server")
struct HTTPServerConfigurationMappingTests {
    @Test("server settings become the HTTP server's configuration")
    func mapping() throws {
        let config = try ServiceConfiguration.parse("""
            {"server": {"host": "::1", "port": 0, "event_loops": 3, "cooperative_yield": false, "max_connections": 50, "max_body_bytes": 4096,
                        "max_request_line_bytes": 1000, "max_header_bytes": 2000, "max_header_count": 20,
                        "outbound_buffer_bytes": 65536,
                        "timeouts": {"request_head_seconds": 1.5, "idle_seconds": 2, "body_seconds": 3, "write_seconds": 4,
                                     "tls_handshake_seconds": 5, "deferred_response_seconds": 6},
                        "drain": {"delay_seconds": 0.25, "deadline_seconds": 7}}}
            """)
        let http = config.server.httpServerConfiguration()
        #expect(http.host == "::1")
        #expect(http.port == 0)
        #expect(http.eventLoopCount == 3)
        #expect(http.cooperativeYield == false)
        #expect(try ServiceConfiguration.parse("{}").server.httpServerConfiguration().cooperativeYield)
        #expect(throws: ConfigurationError.self) { try ServiceConfiguration.parse(#"{"server": {"cooperative_yield": "yes"}}"#) }
        #expect(http.maxConnections == 50)
        #expect(http.maxBodyBytes == 4096)
        #expect(http.parserLimits == HTTPParserLimits(maxRequestLineBytes: 1000, maxHeaderBytes: 2000, maxHeaderCount: 20))
        #expect(http.outboundBufferBytes == 65536)
        #expect(http.timeouts.requestHead == .milliseconds(1500))
        #expect(http.timeouts.idle == .seconds(2))
        #expect(http.timeouts.body == .seconds(3))
        #expect(http.timeouts.write == .seconds(4))
        #expect(http.timeouts.tlsHandshake == .seconds(5))
        #expect(http.deferredResponseTimeout == .seconds(6))
        #expect(http.drainDelay == .milliseconds(250))
        #expect(http.drainDeadline == .seconds(7))
        #expect(http.probesEnabled)
    }
}
