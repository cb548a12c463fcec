import HTTPServer
import Logging

extension HTTPServerConfiguration {
    /// For tests: an ephemeral port on 127.0.0.1, two loops, quick lingering.
    public static var testing: HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, eventLoopCount: 2)
        configuration.timeouts.lingerOnClose = .milliseconds(500)
        // The head timer starts at accept. When a ThreadSanitizer run starts hundreds of tests at
        // once on 2 cores, a client thread can connect and then not run for over 10 s (the
        // default), and the server rightly closes the silent connection. Tests of the head
        // timeout set their own.
        configuration.timeouts.requestHead = .seconds(60)
        configuration.drainDeadline = .seconds(30)
        return configuration
    }
}

/// Starts a server on an ephemeral port, runs `body` with its port, and always stops it.
public func withTestServer<T>(configuration: HTTPServerConfiguration = .testing,
                              responder: some HTTPResponder,
                              _ body: (_ port: Int) async throws -> T) async throws -> T {
    try await withTestServer(configuration: configuration, responder: responder) { _, port in try await body(port) }
}

/// Starts a server on an ephemeral port, runs `body` with the server and its port (for drain and
/// counter tests), and always stops it.
public func withTestServer<T>(configuration: HTTPServerConfiguration = .testing,
                              responder: some HTTPResponder,
                              _ body: (_ server: HTTPServer, _ port: Int) async throws -> T) async throws -> T {
    var logger = Logger(label: "test-server")
    logger.logLevel = .error
    let server = HTTPServer(configuration: configuration, responder: responder, logger: logger)
    try server.start()
    do {
        let result = try await body(server, server.boundPort)
        server.stop()
        return result
    } catch {
        server.stop()
        throw error
    }
}

/// A responder made of a closure, for tests.
public struct ClosureResponder: HTTPResponder {
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let bodyLimit: (@Sendable (HTTPMethod, String) -> Int?)?

    public init(maxBodySize: (@Sendable (HTTPMethod, String) -> Int?)? = nil,
                _ handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        self.handler = handler
        self.bodyLimit = maxBodySize
    }

    public func maxBodySize(method: HTTPMethod, path: String) -> Int? { bodyLimit?(method, path) }
    public func respond(to request: HTTPRequest) -> HTTPResponse { handler(request) }
}
