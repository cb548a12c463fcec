import Glibc

/// Answers a connection accepted over a limit, at once, without registering it, and closes it:
/// 503 over `maxConnections` (the server is full), 429 over `maxConnectionsPerPeer` (this peer
/// address holds its share). What the client already sent is read first so closing sends a FIN, not a
/// reset that could destroy the answer in flight.
enum OverCapacityRejection {
    static func reject(fd: Int32, date: [UInt8], responder: any HTTPResponder, peerFull: Bool = false) {
        withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 16) { scratch in
            _ = recv(fd, scratch.baseAddress, scratch.count, Int32(MSG_DONTWAIT))
        }
        let status: HTTPStatus = peerFull ? .tooManyRequests : .serviceUnavailable
        var problem = ProblemJSON(status: status, detail: peerFull ? "too many open connections from this address"
                                                                   : "too many open connections")
        var headers: HTTPHeaders = ["Retry-After": "1"]
        responder.completeServerProblem(&problem, headers: &headers)
        headers.set("Content-Type", ProblemJSON.contentType)
        let body = problem.bytes
        var answer: [UInt8] = []
        ResponseHeadWriter.append(status: status, headers: headers,
                                  framing: .contentLength(body.count), connection: .close, date: date,
                                  serverName: nil, into: &answer)
        answer += body
        _ = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        shutdown(fd, Int32(SHUT_WR))
        close(fd)
    }
}
