import Foundation
import IsolationdTesting
import Testing

/// `server.cors` and `server.websocket_echo_path` on the real binary: off by default, on when
/// configured, and a real cross-origin page in headless Chromium (`scripts/browser_cors_test.py`).
@Suite("Browsers: CORS and the WebSocket echo on the real binary")
struct BrowserBinaryTests {
    static let page = "http://127.0.0.1:5173"
    static let configuredServer = #"{"host": "127.0.0.1", "port": 0, "event_loops": 2, "drain": {"delay_seconds": 0, "deadline_seconds": 5}, "timeouts": {"request_head_seconds": 60}, "cors": {"allowed_origins": ["http://127.0.0.1:5173"], "max_age_seconds": 120}, "websocket_echo_path": "/ws/echo"}"#

    static func preflight(_ origin: String) -> [(String, String)] {
        [("Origin", origin), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "authorization")]
    }

    @Test("by default: no CORS field on a preflight or an answer, and the echo path is 404")
    func offByDefault() async throws {
        let users = APITestConfiguration.users(1)
        let server = try await APITestConfiguration.start(users: users)
        let client = server.client(users[0])
        let preflight = try await client.call("OPTIONS", "/v1/engines", headers: Self.preflight(Self.page), authenticated: false)
        #expect(preflight.status == 204)
        #expect(!preflight.headers.contains { $0.name.hasPrefix("Access-Control-") || $0.name == "Vary" })
        let answer = try await client.call("GET", "/v1/agents", headers: [("Origin", Self.page)])
        #expect(answer.status == 200)
        #expect(!answer.headers.contains { $0.name.hasPrefix("Access-Control-") })
        let echo = try await WebSocketTestClient.connect(port: server.port, path: "/ws/echo")
        #expect(echo.handshake.status == 404)
        echo.connection.close()
        #expect(await server.stop() == 0)
    }

    @Test("configured: preflights name the path's methods, answers (401 too) are readable by the page, the echo echoes")
    func configured() async throws {
        let users = APITestConfiguration.users(1)
        let server = try await BinaryServer.start(configuration: OperationsConfiguration.json(users: users,
                                                                                              server: Self.configuredServer))
        let client = server.client(users[0])
        let preflight = try await client.call("OPTIONS", "/v1/engines/e-1/runs", headers: Self.preflight(Self.page),
                                              authenticated: false)
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == Self.page)
        #expect(preflight.header("Access-Control-Allow-Methods") == preflight.header("Allow"))
        #expect(preflight.header("Access-Control-Allow-Methods")?.contains("POST") == true)
        #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Authorization") == true)
        #expect(preflight.header("Access-Control-Max-Age") == "120")
        #expect(preflight.header("Vary") == "Origin")

        let refused = try await client.call("GET", "/v1/agents", headers: [("Origin", Self.page)], authenticated: false)
        #expect(refused.status == 401)
        #expect(refused.header("Access-Control-Allow-Origin") == Self.page)
        #expect(refused.header("Access-Control-Expose-Headers") == "Location, Retry-After, X-Request-ID")
        let other = try await client.call("GET", "/v1/agents", headers: [("Origin", "http://127.0.0.1:5174")])
        #expect(other.status == 200)
        #expect(other.header("Access-Control-Allow-Origin") == nil)

        let echo = try await WebSocketTestClient.connect(port: server.port, path: "/ws/echo")
        #expect(echo.handshake.status == 101)
        try await echo.send(text: "over the binary")
        #expect(String(decoding: try await echo.readDataOrClose().payload, as: UTF8.self) == "over the binary")
        // The event socket's limit on client messages (16 KiB): larger closes with 1009.
        try await echo.send(binary: [UInt8](repeating: 2, count: 16_385))
        #expect(try await echo.readDataOrClose().closeCode == 1009)
        echo.connection.close()
        #expect(await server.stop() == 0)
    }

    @Test("an echo path that is already a route stops the start, naming the key")
    func echoPathCollision() async throws {
        let users = APITestConfiguration.users(1)
        let server = Self.configuredServer.replacingOccurrences(of: #""/ws/echo""#, with: #""/v1/agents""#)
        do {
            let started = try await BinaryServer.start(configuration: OperationsConfiguration.json(users: users, server: server))
            _ = await started.stop()
            Issue.record("the binary started with websocket_echo_path /v1/agents")
        } catch BinaryServer.StartError.exited(let status, let log) {
            #expect(status != 0)
            #expect(log.contains("server.websocket_echo_path"), "\(log)")
        }
    }

    /// What the browser test needs; missing, it is reported as skipped (never as passed).
    static var browserAvailable: Bool {
        (ExternalCommand.exists("chromium") || ExternalCommand.exists("chromium-browser"))
            && ExternalCommand.exists("chromedriver")
            && (try? ExternalCommand.run(["python3", "-c", "import selenium"], timeout: .seconds(30)))?.status == 0
    }

    @Test("a cross-origin page in headless Chromium: fetch, EventSource with access_token and WebSocket with bearer receive a run's events; another origin is blocked",
          .enabled(if: BrowserBinaryTests.browserAvailable,
                   "needs chromium, chromium-driver (Debian) and selenium (PyPI); see scripts/browser_cors_test.py"))
    func browser() async throws {
        let script = APITestConfiguration.packageRoot + "/scripts/browser_cors_test.py"
        let result = try await ExternalCommand.runDetached(["python3", script, "--binary", BinaryServer.locateBinary()],
                                                          timeout: .seconds(240))
        #expect(result.finished, "the browser test did not finish:\n\(result.stdout)\(result.stderr)")
        #expect(result.status == 0, "browser_cors_test.py (status \(result.status)):\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS"))
    }
}
