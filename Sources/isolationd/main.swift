// TEMPORARY runner until the real CLI lands (the lead replaces this file): serves the HTTP
// server's built-in probes on 127.0.0.1:$PORT (or --port N, default 8080) with the default
// configuration; SIGTERM/SIGINT drain the server and exit 0, a second signal exits at once.
import Glibc
import HTTPServer
import Logging

/// Answers everything but the probes with 404 (there are no routes yet).
struct NotFoundResponder: HTTPResponder {
    func respond(to request: HTTPRequest) -> HTTPResponse {
        HTTPResponse(status: .notFound, contentType: "text/plain", body: Array("not found\n".utf8))
    }
}

func requestedPort() -> Int {
    let arguments = CommandLine.arguments
    if let flag = arguments.firstIndex(of: "--port"), flag + 1 < arguments.count, let port = Int(arguments[flag + 1]) {
        return port
    }
    if let text = getenv("PORT"), let port = Int(String(cString: text)) { return port }
    return 8080
}

// Signals are taken synchronously with sigwait: blocked here, before any thread starts, so every
// thread inherits the mask and none is interrupted.
var signals = sigset_t()
sigemptyset(&signals)
sigaddset(&signals, SIGTERM)
sigaddset(&signals, SIGINT)
pthread_sigmask(SIG_BLOCK, &signals, nil)
signal(SIGPIPE, SIG_IGN)

var logger = Logger(label: "isolationd")
logger.logLevel = .info
var configuration = HTTPServerConfiguration(port: requestedPort())
if let text = getenv("EVENT_LOOPS"), let loops = Int(String(cString: text)) { configuration.eventLoopCount = loops }
let server = HTTPServer(configuration: configuration,
                        responder: NotFoundResponder(), logger: logger)
do {
    try server.start()
} catch {
    logger.critical("cannot start: \(error)")
    exit(1)
}

var received: Int32 = 0
sigwait(&signals, &received)
logger.info("signal \(received): draining")
let signalSet = signals
Task.detached {
    var again: Int32 = 0
    var set = signalSet
    sigwait(&set, &again)
    _exit(1)
}
await server.drain()
server.stop()
exit(0)
