import HTTPServer
@testable import IsolationdConfiguration
import Testing

@Suite("server.cors and server.websocket_echo_path")
struct BrowserSettingsTests {
    @Test("both are off by default")
    func defaults() throws {
        let server = try ServiceConfiguration.parse("{}").server
        #expect(server.cors.allowedOrigins.isEmpty)
        #expect(server.cors.maxAgeSeconds == 600)
        #expect(server.corsPolicy == nil)
        #expect(server.websocketEchoPath == nil)
    }

    @Test("listed origins and * become the service's policy; the echo path is kept")
    func parsed() throws {
        let server = try ServiceConfiguration.parse("""
            {"server": {"cors": {"allowed_origins": ["http://127.0.0.1:5173", "https://app.example.com"], "max_age_seconds": 60},
                        "websocket_echo_path": "/ws/echo"}}
            """).server
        let policy = try #require(server.corsPolicy)
        #expect(policy.origins == .exactly(["http://127.0.0.1:5173", "https://app.example.com"]))
        #expect(policy.maxAgeValue == "60")
        #expect(policy.exposedHeadersValue == "Location, Retry-After, X-Request-ID")
        #expect(server.websocketEchoPath == "/ws/echo")

        let any = try ServiceConfiguration.parse(#"{"server": {"cors": {"allowed_origins": ["*"]}}}"#).server
        #expect(any.corsPolicy?.origins == .any)
        let environment = try ServiceConfiguration.parse("{}", environment: ["ISOLATIOND_SERVER__WEBSOCKET_ECHO_PATH": "/echo"])
        #expect(environment.server.websocketEchoPath == "/echo")
    }

    @Test("invalid values are refused naming their key", arguments: [
        (#"{"server": {"cors": {"allowed_origins": ["https://app.example.com/"]}}}"#, "server.cors.allowed_origins[0]"),
        (#"{"server": {"cors": {"allowed_origins": ["http://a.example", "null"]}}}"#, "server.cors.allowed_origins[1]"),
        (#"{"server": {"cors": {"allowed_origins": ["*", "http://a.example"]}}}"#, "server.cors.allowed_origins"),
        (#"{"server": {"cors": {"allowed_origins": ["http://a.example", "http://a.example"]}}}"#, "server.cors.allowed_origins[1]"),
        (#"{"server": {"cors": {"allowed_origins": "http://a.example"}}}"#, "server.cors.allowed_origins"),
        (#"{"server": {"cors": {"max_age_seconds": -1}}}"#, "server.cors.max_age_seconds"),
        (#"{"server": {"cors": {"origins": []}}}"#, "server.cors.origins"),
        (#"{"server": {"websocket_echo_path": "ws/echo"}}"#, "server.websocket_echo_path"),
        (#"{"server": {"websocket_echo_path": "/ws/:id"}}"#, "server.websocket_echo_path"),
        (#"{"server": {"websocket_echo_path": "/"}}"#, "server.websocket_echo_path"),
        (#"{"server": {"websocket_echo_path": "/ws//echo"}}"#, "server.websocket_echo_path"),
        (#"{"server": {"websocket_echo_path": "/ws/echo?x"}}"#, "server.websocket_echo_path"),
        (#"{"server": {"websocket_echo_path": 5}}"#, "server.websocket_echo_path"),
    ])
    func refused(text: String, key: String) throws {
        let error = try #require(configurationError(text), "\(text) was accepted")
        #expect(error.keyPath == key, "\(error)")
    }
}
