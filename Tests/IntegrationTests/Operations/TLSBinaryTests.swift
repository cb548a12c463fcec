import Foundation
import IsolationdTesting
import Testing

/// `server.tls` in the real binary, driven by clients that are not ours: curl and Python's `ssl`
/// module (OpenSSL underneath both, but their own handshake code paths and ALPN handling).
@Suite("TLS from the configuration, in the real binary")
struct TLSBinaryTests {
    static var toolsAvailable: Bool { ExternalCommand.exists("openssl") && ExternalCommand.exists("curl") && ExternalCommand.exists("python3") }

    /// Connects with Python's ssl module, offers ALPN http/1.1, sends one GET, prints a JSON
    /// summary. With `tls1`, allows only TLS 1.0 (and every cipher, so only the server can refuse).
    static let pythonClient = #"""
    import json, socket, ssl, sys, warnings
    warnings.simplefilter("ignore")
    port, mode = int(sys.argv[1]), sys.argv[2]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    if mode == "tls1":
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                status = data.split(b"\r\n", 1)[0].decode()
                print(json.dumps({"ok": True, "version": tls.version(), "alpn": tls.selected_alpn_protocol(),
                                  "status_line": status, "body": data.split(b"\r\n\r\n", 1)[-1].decode()}))
    except ssl.SSLError as error:
        print(json.dumps({"ok": False, "reason": error.reason or str(error)}))
    """#

    /// The real binary serving TLS with a throw-away certificate (keep the certificate alive while
    /// the server runs). `tlsExtra` adds members to `server.tls` (`"port": 0`: plain beside TLS),
    /// `serverExtra` to `server`. nil, after saying so, when openssl, curl or python3 is missing.
    static func startWithTLS(loops: Int, serverExtra: String = "", tlsExtra: String = "") async throws
        -> (server: BinaryServer, certificate: ThrowawayCertificate, users: [TestUser])? {
        guard toolsAvailable else {
            print("SKIPPED: openssl, curl or python3 missing; the TLS binary test did not run")
            return nil
        }
        let certificate = try ThrowawayCertificate()
        let users = APITestConfiguration.users(1)
        let config = OperationsConfiguration.json(users: users, server: """
            {"host": "127.0.0.1", "port": 0, "event_loops": \(loops), "drain": {"delay_seconds": 0, "deadline_seconds": 5}\(serverExtra),
             "tls": {"cert_file": "\(certificate.certificatePath)", "key_file": "\(certificate.keyPath)"\(tlsExtra)}}
            """)
        let server = try await BinaryServer.start(configuration: config)
        return (server, certificate, users)
    }

    static func python(port: Int, mode: String) async throws -> [String: Any] {
        let result = try await ExternalCommand.runDetached(["python3", "-c", pythonClient, String(port), mode], timeout: .seconds(30))
        try #require(result.status == 0, "python: \(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Any], "python printed \(result.stdout)")
    }

    /// `curl -k --http1.1 -v`: (status code, HTTP version, verbose log).
    static func curl(port: Int, path: String = "/healthz") async throws -> (code: String, log: String) {
        let result = try await ExternalCommand.runDetached(
            ["curl", "-k", "--http1.1", "-sS", "-v", "--max-time", "10", "-o", "/dev/null",
             "-w", "%{http_code} %{http_version}", "https://127.0.0.1:\(port)\(path)"], timeout: .seconds(30))
        return (result.stdout, result.stderr)
    }

    /// Plain HTTP bytes to the TLS port: the server must close without an HTTP answer.
    static func plainHTTPIsClosed(port: Int) async throws {
        let plain = try await RawHTTPClient.connect(port: port)
        defer { plain.close() }
        try await plain.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(await plain.waitForClose(within: .seconds(10)), "the TLS port kept a plain-HTTP connection open")
        #expect(!plain.unreadText.hasPrefix("HTTP/"), "the TLS port answered plain HTTP: \(plain.unreadText)")
    }

    @Test("TLS only on server.port: curl and Python get 200 over TLS with ALPN http/1.1; TLS 1.0 and plain HTTP are refused; it keeps serving")
    func tlsOnly() async throws {
        guard let (server, certificate, _) = try await Self.startWithTLS(
            loops: 2, serverExtra: #", "timeouts": {"tls_handshake_seconds": 3}"#) else { return }
        defer { withExtendedLifetime(certificate) {} }
        #expect(server.output.contains("tls=true"))

        let first = try await Self.curl(port: server.port)
        #expect(first.code == "200 1.1", "curl: \(first.log)")
        #expect(first.log.contains("ALPN: server accepted http/1.1"), "\(first.log)")

        let python = try await Self.python(port: server.port, mode: "modern")
        #expect(python["ok"] as? Bool == true, "\(python)")
        #expect(python["alpn"] as? String == "http/1.1")
        #expect(python["status_line"] as? String == "HTTP/1.1 200 OK")
        #expect(["TLSv1.2", "TLSv1.3"].contains(python["version"] as? String ?? ""))

        let old = try await Self.python(port: server.port, mode: "tls1")
        #expect(old["ok"] as? Bool == false, "a TLS 1.0 client was served: \(old)")
        #expect((old["reason"] as? String ?? "").uppercased().contains("PROTOCOL_VERSION"), "\(old)")

        try await Self.plainHTTPIsClosed(port: server.port)

        let after = try await Self.curl(port: server.port)
        #expect(after.code == "200 1.1", "after the refused clients: \(after.log)")
        #expect(await server.stop() == 0)
    }

    @Test("Plain and TLS listeners side by side (server.tls.port): both serve the same API and the same metrics")
    func sideBySide() async throws {
        guard let (server, certificate, users) = try await Self.startWithTLS(loops: 1, tlsExtra: #", "port": 0"#) else { return }
        defer { withExtendedLifetime(certificate) {} }
        let tlsPort = try #require(OperationsConfiguration.tlsPort(in: server.output), "\(server.output)")
        #expect(tlsPort != server.port)

        let plain = try await server.client(users[0]).call("GET", "/v1/agents")
        #expect(plain.status == 200)
        let secure = try await Self.curl(port: tlsPort, path: "/openapi.json")
        #expect(secure.code == "200 1.1", "\(secure.log)")
        let python = try await Self.python(port: tlsPort, mode: "modern")
        #expect(python["status_line"] as? String == "HTTP/1.1 200 OK", "\(python)")
        try await Self.plainHTTPIsClosed(port: tlsPort)

        // One responder behind both listeners: the TLS request is in the plain port's metrics.
        let metrics = try await server.client(nil).call("GET", "/metrics", authenticated: false)
        #expect(metrics.text.contains(#"isolationd_http_requests_total{route="/openapi.json",method="GET",status="200"} 1"#),
                "\(metrics.text)")
        #expect(await server.stop() == 0)
    }

    @Test("An unreadable certificate stops the start with a message naming server.tls")
    func badCertificate() async throws {
        let users = APITestConfiguration.users(1)
        let config = OperationsConfiguration.json(users: users, server: """
            {"host": "127.0.0.1", "port": 0, "event_loops": 1,
             "tls": {"cert_file": "/nonexistent/cert.pem", "key_file": "/nonexistent/key.pem"}}
            """)
        do {
            let server = try await BinaryServer.start(configuration: config, timeout: .seconds(20))
            Issue.record("the server started without its certificate")
            await server.stop()
        } catch let error as BinaryServer.StartError {
            guard case .exited(let status, let log) = error else {
                Issue.record("unexpected start error: \(error)")
                return
            }
            #expect(status != 0)
            #expect(log.contains("server.tls") && log.contains("/nonexistent/cert.pem"), "\(log)")
        }
    }
}
