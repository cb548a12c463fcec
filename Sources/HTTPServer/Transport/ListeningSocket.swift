import Glibc

/// Opening the listening sockets: one per loop, all bound to the same address with SO_REUSEPORT
/// so the kernel spreads new connections across loops without a shared accept lock.
enum ListeningSocket {
    /// A parsed listen address.
    enum Address {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }

    static func parse(host: String, port: Int) throws(HTTPServerError) -> Address {
        guard (0...65535).contains(port) else { throw .invalidConfiguration("port \(port) is out of range") }
        let literal = host == "localhost" ? "127.0.0.1" : host
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, literal, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
            return .v4(v4)
        }
        var v6 = sockaddr_in6()
        let bare = literal.hasPrefix("[") && literal.hasSuffix("]") ? String(literal.dropFirst().dropLast()) : literal
        if inet_pton(AF_INET6, bare, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
            return .v6(v6)
        }
        throw .invalidConfiguration("host '\(host)' is not an IP address literal or localhost")
    }

    /// Opens, binds and listens; returns the descriptor and the bound port (useful with port 0).
    static func open(_ address: Address, backlog: Int32 = 4096) throws(HTTPServerError) -> (fd: Int32, port: Int) {
        let family: Int32
        switch address {
        case .v4: family = AF_INET
        case .v6: family = AF_INET6
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | LinuxCalls.sockNonblock | LinuxCalls.sockCloexec, 0)
        guard fd >= 0 else { throw .system("socket", errno) }
        var one: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, size) == 0,
              setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, size) == 0 else {
            let error = errno
            close(fd)
            throw .system("setsockopt(SO_REUSEPORT)", error)
        }
        let bound: Int32
        switch address {
        case .v4(var addr):
            bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(var addr):
            bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        guard bound == 0 else {
            let error = errno
            close(fd)
            throw .system("bind", error)
        }
        guard listen(fd, backlog) == 0 else {
            let error = errno
            close(fd)
            throw .system("listen", error)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, PeerAddress.port(of: storage))
    }

    /// The same address with a concrete port (after port 0 was resolved by the first bind).
    static func withPort(_ address: Address, _ port: Int) -> Address {
        switch address {
        case .v4(var addr):
            addr.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            return .v4(addr)
        case .v6(var addr):
            addr.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            return .v6(addr)
        }
    }
}

/// Formatting peer addresses for logs ("127.0.0.1:53211", "[::1]:53211").
enum PeerAddress {
    static func port(of storage: sockaddr_storage) -> Int {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return 0
        }
    }

    /// The peer of a connected socket, as text.
    static func describePeer(of fd: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard ok == 0 else { return "unknown" }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { addr in
                    var a = addr.pointee.sin_addr
                    inet_ntop(AF_INET, &a, &text, socklen_t(text.count))
                    return "\(cText(text)):\(UInt16(bigEndian: addr.pointee.sin_port))"
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { addr in
                    var a = addr.pointee.sin6_addr
                    inet_ntop(AF_INET6, &a, &text, socklen_t(text.count))
                    return "[\(cText(text))]:\(UInt16(bigEndian: addr.pointee.sin6_port))"
                }
            }
        default:
            return "unknown"
        }
    }
}

/// A NUL-terminated C character array as a String.
private func cText(_ chars: [CChar]) -> String {
    String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
