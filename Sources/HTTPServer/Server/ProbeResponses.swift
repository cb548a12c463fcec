/// The built-in probes, answered before the responder and from precomputed bytes: the response
/// is a fixed head, the loop's cached date, a connection line and a fixed body.
///
/// - `/livez` and its alias `/healthz`: 200 `{"status":"ok"}` while the process runs.
/// - `/readyz`: 200 `{"status":"ready"}`, or 503 `{"status":"draining"}` from the first moment
///   of a drain, or 503 `{"status":"unavailable"}` while one of the application's
///   `ReadinessCheck`s fails (its database is down).
/// - `?verbose`: plain text, one line per check, then the verdict.
final class ProbeResponses: Sendable {
    enum Probe: Sendable { case live, ready }

    /// A precomputed answer: everything up to the date value, then the body.
    struct Canned: Sendable {
        let head: [UInt8]
        let body: [UInt8]
    }

    let live: Canned
    let ready: Canned
    let notReady: Canned
    let unavailable: Canned
    let checks: [ReadinessCheck]

    init(serverName: String?, checks: [ReadinessCheck] = []) {
        self.checks = checks
        unavailable = ProbeResponses.canned(status: "503 Service Unavailable", body: #"{"status":"unavailable"}"#,
                                            serverName: serverName)
        live = ProbeResponses.canned(status: "200 OK", body: #"{"status":"ok"}"#, serverName: serverName)
        ready = ProbeResponses.canned(status: "200 OK", body: #"{"status":"ready"}"#, serverName: serverName)
        notReady = ProbeResponses.canned(status: "503 Service Unavailable", body: #"{"status":"draining"}"#,
                                         serverName: serverName)
    }

    private static func canned(status: String, body: String, serverName: String?) -> Canned {
        var head = Array("HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n".utf8)
        if let serverName { head += Array("Server: \(serverName)\r\n".utf8) }
        head += Array("Cache-Control: no-store\r\nDate: ".utf8)
        return Canned(head: head, body: Array(body.utf8))
    }

    /// Which probe `target` names, and whether `?verbose` was asked. Compares bytes without
    /// allocating: this runs for every request.
    @inline(__always)
    static func match(_ target: String) -> (probe: Probe, verbose: Bool)? {
        var target = target
        return target.withUTF8 { bytes -> (Probe, Bool)? in
            guard bytes.count >= 6, bytes[0] == UInt8(ascii: "/") else { return nil }
            let probe: Probe
            let pathLength: Int
            switch bytes[1] {
            case UInt8(ascii: "h") where hasPath(bytes, "/healthz"): (probe, pathLength) = (.live, 8)
            case UInt8(ascii: "l") where hasPath(bytes, "/livez"): (probe, pathLength) = (.live, 6)
            case UInt8(ascii: "r") where hasPath(bytes, "/readyz"): (probe, pathLength) = (.ready, 7)
            default: return nil
            }
            // hasPath checked that only a query may follow the path.
            guard bytes.count > pathLength else { return (probe, false) }
            return (probe, queryNamesVerbose(UnsafeBufferPointer(rebasing: bytes[(pathLength + 1)...])))
        }
    }

    private static func hasPath(_ bytes: UnsafeBufferPointer<UInt8>, _ path: StaticString) -> Bool {
        let n = path.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        for i in 0..<n where bytes[i] != path.utf8Start[i] { return false }
        return bytes.count == n || bytes[n] == UInt8(ascii: "?")
    }

    private static func queryNamesVerbose(_ query: UnsafeBufferPointer<UInt8>) -> Bool {
        for item in query.split(separator: UInt8(ascii: "&")) {
            let name = item.prefix { $0 != UInt8(ascii: "=") }
            if name.elementsEqual("verbose".utf8) { return true }
        }
        return false
    }

    /// Appends the answer to `probe`. Returns the status code (for the access log).
    func append(_ probe: Probe, verbose: Bool, headOnly: Bool, phase: ServerPhase,
                connection: ResponseHeadWriter.ConnectionField, date: [UInt8], into out: inout [UInt8]) -> Int {
        let isRunning = phase == .running
        if verbose {
            return appendVerbose(probe, isRunning: isRunning, headOnly: headOnly, connection: connection, date: date, into: &out)
        }
        let canned: Canned
        var isReady = true
        switch probe {
        case .live: canned = live
        case .ready:
            isReady = isRunning && checks.allSatisfy { $0.failure() == nil }
            canned = !isRunning ? notReady : isReady ? ready : unavailable
        }
        out.append(contentsOf: canned.head)
        out.append(contentsOf: date)
        out.append(contentsOf: "\r\n".utf8)
        ResponseHeadWriter.appendStatic(connection.line, to: &out)
        out.append(contentsOf: "\r\n".utf8)
        if !headOnly { out.append(contentsOf: canned.body) }
        return isReady ? 200 : 503
    }

    private func appendVerbose(_ probe: Probe, isRunning: Bool, headOnly: Bool,
                               connection: ResponseHeadWriter.ConnectionField, date: [UInt8],
                               into out: inout [UInt8]) -> Int {
        var text = "[+]ping ok\n"
        let passed: Bool
        switch probe {
        case .live:
            passed = true
            text += "livez check passed\n"
        case .ready:
            var ready = isRunning
            text += "[+]listening ok\n"
            text += isRunning ? "[+]draining ok\n" : "[-]draining failed: the server is shutting down\n"
            for check in checks {
                if let failure = check.failure() {
                    ready = false
                    text += "[-]\(check.name) failed: \(failure)\n"
                } else {
                    text += "[+]\(check.name) ok\n"
                }
            }
            passed = ready
            text += ready ? "readyz check passed\n" : "readyz check failed\n"
        }
        let status: HTTPStatus = passed ? .ok : .serviceUnavailable
        let body = Array(text.utf8)
        ResponseHeadWriter.append(status: status,
                                  headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"],
                                  framing: .contentLength(body.count), connection: connection, date: date,
                                  serverName: nil, into: &out)
        if !headOnly { out.append(contentsOf: body) }
        return status.code
    }
}
