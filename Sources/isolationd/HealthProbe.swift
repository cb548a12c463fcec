#if canImport(Glibc)
import Glibc
#endif
import Platform

/// A one-shot `GET` over a plain TCP socket, for `isolationd healthcheck` (container
/// HEALTHCHECK, scripts). No Foundation networking: getaddrinfo, a non-blocking connect bounded
/// by poll, one request, the status line read back.
struct HealthProbe {
    struct Target: Equatable {
        var host: String
        var port: Int
        var path: String
    }

    enum Failure: Error, CustomStringConvertible {
        case badURL(String)
        case resolve(String)
        case connect(String)
        case timeout
        case io(String)
        case badResponse

        var description: String {
            switch self {
            case .badURL(let why): "bad URL: \(why)"
            case .resolve(let why): "cannot resolve host: \(why)"
            case .connect(let why): "cannot connect: \(why)"
            case .timeout: "timed out"
            case .io(let why): "I/O error: \(why)"
            case .badResponse: "the answer is not HTTP"
            }
        }
    }

    /// Parses `http://host[:port][/path]` (IPv6 hosts in brackets). HTTPS is not spoken here.
    static func parse(_ url: String) throws(Failure) -> Target {
        guard url.hasPrefix("http://") else { throw .badURL("only http:// URLs are supported") }
        let rest = url.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = authorityEnd == rest.endIndex ? "/" : String(rest[authorityEnd...])
        var host: Substring, portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .badURL("unclosed [ in host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw .badURL("junk after ]") }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .badURL("no host") }
        var port = 80
        if let portText {
            guard let parsed = Int(portText), (1...65_535).contains(parsed) else { throw .badURL("bad port") }
            port = parsed
        }
        guard !path.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" }) else { throw .badURL("bad path") }
        return Target(host: String(host), port: port, path: path)
    }

    /// The status code of `GET target`, within `timeout` seconds overall.
    static func status(of target: Target, timeout: Double) throws(Failure) -> Int {
        // Monotonic nanoseconds; the timeout is clamped so the conversion cannot overflow.
        let deadline = MonotonicClock.now() + UInt64(min(max(timeout, 0), 1e9) * 1e9)
        let fd = try connect(to: target, deadline: deadline)
        defer { close(fd) }
        let hostHeader = target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
        let request = Array("GET \(target.path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: isolationd-healthcheck\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            try wait(fd, for: Int16(POLLOUT), until: deadline)
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress.map { $0 + sent }, request.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .io(errnoText())
            }
            sent += n
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !received.contains(UInt8(ascii: "\n")) && received.count < 8192 {
            try wait(fd, for: Int16(POLLIN), until: deadline)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .io(errnoText())
            }
            if n == 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        // "HTTP/1.1 200 OK"
        let line = String(decoding: received.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else { throw .badResponse }
        return code
    }

    private static func connect(to target: Target, deadline: UInt64) throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard status == 0, let first = list else { throw .resolve(String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let info = current {
            current = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = errnoText(); continue }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else { lastError = errnoText(); close(fd); continue }
            do {
                try wait(fd, for: Int16(POLLOUT), until: deadline)
            } catch {
                close(fd)
                throw error
            }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
            if socketError == 0 { return fd }
            lastError = String(cString: strerror(socketError))
            close(fd)
        }
        throw .connect(lastError)
    }

    private static func wait(_ fd: Int32, for events: Int16, until deadline: UInt64) throws(Failure) {
        while true {
            let now = MonotonicClock.now()
            guard deadline > now else { throw .timeout }
            let remainingMilliseconds = (deadline - now + 999_999) / 1_000_000
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(remainingMilliseconds, 60_000)))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .io(errnoText()) }
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
