import Glibc
import HTTPServer
import Synchronization
import VisibleLocks

/// A raw-socket HTTP/1.1 client for tests: sends exactly the bytes it is given and parses one
/// response at a time (Content-Length, chunked, or read-until-close), so tests can drive
/// pipelining, malformed requests, slow clients and keep-alive reuse. Every wait is bounded by
/// `timeout`. Blocking work runs off the cooperative pool (see `BlockingIO`).
public final class RawHTTPClient: Sendable {
    public let fd: Int32
    public let timeout: Duration
    /// Set for an HTTPS connection: all bytes go through it.
    let tls: TLSClientSession?
    /// Bytes received but not consumed yet.
    let pending = VisibleMutex<[UInt8]>([])
    /// Set once the descriptor is closed: closing twice could close a reused descriptor number
    /// that now belongs to someone else (the in-process server, another client).
    private let closed = Atomic<Bool>(false)

    private init(fd: Int32, timeout: Duration, tls: TLSClientSession?) {
        self.fd = fd
        self.timeout = timeout
        self.tls = tls
    }

    /// The ALPN protocol the server selected (TLS connections only).
    public var negotiatedALPN: String? { tls?.negotiatedALPN }

    deinit { close() }

    /// Connects to 127.0.0.1:`port` (or `host`, an IPv4 literal); `tls`: HTTPS (handshake
    /// done before this returns, certificates not verified).
    public static func connect(port: Int, host: String = "127.0.0.1", tls: Bool = false,
                               timeout: Duration = .seconds(10), from source: String? = nil) async throws -> RawHTTPClient {
        try await BlockingIO.run { try connectBlocking(port: port, host: host, tls: tls, timeout: timeout, from: source) }
    }

    /// Connects and sends `bytes` at once, from the same thread: for tests whose server timers
    /// run from the accept and must not see a scheduling gap between connecting and sending.
    public static func connect(port: Int, sending bytes: [UInt8], host: String = "127.0.0.1",
                               timeout: Duration = .seconds(10)) async throws -> RawHTTPClient {
        try await BlockingIO.run {
            let client = try connectBlocking(port: port, host: host, tls: false, timeout: timeout)
            try client.sendBlocking(bytes)
            return client
        }
    }

    /// `source`: a local IPv4 address to connect from (another loopback address, 127.0.0.2, is
    /// another peer to the server).
    static func connectBlocking(port: Int, host: String, tls: Bool, timeout: Duration,
                                from source: String? = nil) throws -> RawHTTPClient {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPClientError.system("socket", errno) }
        if let source {
            do {
                try ClientSocket.bind(fd, to: source)
            } catch {
                Glibc.close(fd)
                throw error
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        ClientSocket.setOptions(fd, timeout: timeout)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            Glibc.close(fd)
            throw RawHTTPClientError.system("connect", error)
        }
        do {
            return RawHTTPClient(fd: fd, timeout: timeout, tls: tls ? try TLSClientSession(fd: fd) : nil)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// Closes the socket (idempotent).
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pending.withLock { $0.removeAll() }
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }

    /// Half-closes: no more bytes will be sent.
    public func shutdownWrite() {
        guard !closed.load(ordering: .acquiring) else { return }
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    // MARK: sending

    public func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) async throws {
        try await BlockingIO.run { try self.sendBlocking(bytes) }
    }

    /// Sends `bytes` in pieces of `pieceSize` with `pause` between them, all on one blocking
    /// thread (one thread per piece would cost more than the pause under ThreadSanitizer).
    public func sendInPieces(_ bytes: [UInt8], pieceSize: Int = 1, pause: Duration = .milliseconds(1)) async throws {
        try await BlockingIO.run {
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + max(1, pieceSize))
                try self.sendBlocking(Array(bytes[start..<end]))
                start = end
                if start < bytes.count { BlockingIO.sleep(pause) }
            }
        }
    }

    /// Sends a request and reads its response after each of `pauses`, on one blocking thread;
    /// returns the statuses and, for each request, how long the connection had actually been
    /// quiet before it (measured, so a test can tell a late wake-up from a server fault). A
    /// request that gets no answer (the connection closed) is reported with status 0 and ends
    /// the sequence.
    public func requestsAfterPauses(_ pauses: [Duration], target: String = "/") async throws -> [(status: Int, quiet: Duration)] {
        try await BlockingIO.run {
            var results: [(status: Int, quiet: Duration)] = []
            var lastAnswer = ContinuousClock.now
            for pause in pauses {
                BlockingIO.sleep(pause)
                let quiet = ContinuousClock.now - lastAnswer
                do {
                    try self.sendBlocking(Array("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
                    let response = try self.readResponseBlocking(headRequest: false)
                    lastAnswer = .now
                    results.append((response.status, quiet))
                } catch {
                    results.append((0, quiet))
                    break
                }
            }
            return results
        }
    }

    func sendBlocking(_ bytes: [UInt8]) throws {
        guard !closed.load(ordering: .acquiring) else { throw RawHTTPClientError.closed(partial: "") }
        if let tls {
            try tls.write(bytes)
            return
        }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent > 0 { offset += sent; continue }
            if sent < 0, errno == EINTR { continue }
            if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK { throw RawHTTPClientError.timedOut }
            throw RawHTTPClientError.system("send", errno)
        }
    }

    /// Sends a simple request (`Host` added unless given; `Content-Length` added for a body).
    public func sendRequest(_ method: String = "GET", _ target: String, headers: [(String, String)] = [],
                            body: [UInt8] = [], version: String = "HTTP/1.1") async throws {
        var head = "\(method) \(target) \(version)\r\n"
        if !headers.contains(where: { $0.0.lowercased() == "host" }) { head += "Host: 127.0.0.1\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty, !headers.contains(where: { $0.0.lowercased() == "content-length" || $0.0.lowercased() == "transfer-encoding" }) {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        try await send(Array(head.utf8) + body)
    }

    /// Sends a request and reads its response.
    public func request(_ method: String = "GET", _ target: String, headers: [(String, String)] = [],
                        body: [UInt8] = [], version: String = "HTTP/1.1") async throws -> RawHTTPResponse {
        try await sendRequest(method, target, headers: headers, body: body, version: version)
        return try await readResponse(headRequest: method == "HEAD")
    }

    // MARK: receiving

    /// Reads one complete response (a 1xx interim response counts as one). `headRequest`: the
    /// request was HEAD, so no body follows whatever the headers say.
    public func readResponse(headRequest: Bool = false) async throws -> RawHTTPResponse {
        try await BlockingIO.run { try self.readResponseBlocking(headRequest: headRequest) }
    }

    /// Reads only the status line and headers (then read the body with `readChunk`).
    public func readHead() async throws -> RawHTTPResponse {
        try await BlockingIO.run { try self.readHeadBlocking() }
    }

    /// The next chunk of a chunked body; nil after the last chunk (trailers are skipped).
    public func readChunk() async throws -> [UInt8]? {
        try await BlockingIO.run { try self.readChunkBlocking() }
    }

    /// Everything until the peer closes (bounded by `timeout` per read).
    public func readUntilClose() async throws -> [UInt8] {
        try await BlockingIO.run {
            while try self.fill() {}
            return self.pending.withLock { buffer in
                defer { buffer.removeAll() }
                return buffer
            }
        }
    }

    /// True when the server closes (or resets) the connection within `within`; false when it
    /// stays open that long. Bytes that arrive meanwhile are kept for later reads.
    public func waitForClose(within: Duration) async -> Bool {
        (try? await BlockingIO.run { self.waitForCloseBlocking(within: within) }) ?? true
    }

    func waitForCloseBlocking(within: Duration) -> Bool {
        guard !closed.load(ordering: .acquiring) else { return true }
        let deadline = ContinuousClock.now + within
        var chunk = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = deadline - ContinuousClock.now
            let ms = max(1, Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000))
            let ready = poll(&poller, 1, ms)
            if ready <= 0 { continue }
            if let tls {
                guard let plaintext = try? tls.read() else { return true }
                if plaintext.isEmpty { return true }
                pending.withLock { $0.append(contentsOf: plaintext) }
                continue
            }
            let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received == 0 { return true }
            if received < 0 { return errno != EINTR && errno != EAGAIN }
            pending.withLock { $0.append(contentsOf: chunk[0..<received]) }
        }
        return false
    }

    /// Bytes already received and not yet consumed, as text (for diagnostics).
    public var unreadText: String { pending.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Reads more bytes into `pending`; false on EOF. Throws on timeout or error.
    @discardableResult
    func fill() throws -> Bool {
        guard !closed.load(ordering: .acquiring) else { return false }
        if let tls {
            let received = try tls.read()
            guard !received.isEmpty else { return false }
            pending.withLock { $0.append(contentsOf: received) }
            return true
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received > 0 {
                pending.withLock { $0.append(contentsOf: chunk[0..<received]) }
                return true
            }
            if received == 0 { return false }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw RawHTTPClientError.timedOut
            case ECONNRESET: return false
            default: throw RawHTTPClientError.system("recv", errno)
            }
        }
    }

    /// Takes `count` bytes, reading as needed.
    func take(_ count: Int) throws -> [UInt8] {
        while pending.withLock({ $0.count }) < count {
            guard try fill() else { throw RawHTTPClientError.closed(partial: unreadText) }
        }
        return pending.withLock { buffer in
            let taken = Array(buffer[0..<count])
            buffer.removeSubrange(0..<count)
            return taken
        }
    }

    /// Takes bytes up to and including the first CRLF (returned without it).
    func takeLine(limit: Int = 1 << 20) throws -> String {
        while true {
            let line = pending.withLock { buffer -> [UInt8]? in
                guard let index = buffer.firstRange(of: [13, 10]) else { return nil }
                let line = Array(buffer[..<index.lowerBound])
                buffer.removeSubrange(..<index.upperBound)
                return line
            }
            if let line { return String(decoding: line, as: UTF8.self) }
            guard pending.withLock({ $0.count }) < limit else { throw RawHTTPClientError.malformed("line too long") }
            guard try fill() else { throw RawHTTPClientError.closed(partial: unreadText) }
        }
    }
}
