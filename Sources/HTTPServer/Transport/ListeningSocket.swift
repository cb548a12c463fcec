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
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
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
        switch Int32(storage.ss_family) {
        case AF_INET: Int(read(storage, as: sockaddr_in.self) { UInt16(bigEndian: $0.sin_port) })
        case AF_INET6: Int(read(storage, as: sockaddr_in6.self) { UInt16(bigEndian: $0.sin6_port) })
        default: 0
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
        switch Int32(storage.ss_family) {
        case AF_INET:
            return read(storage, as: sockaddr_in.self) { "\(text(of: $0.sin_addr, family: AF_INET)):\(UInt16(bigEndian: $0.sin_port))" }
        case AF_INET6:
            return read(storage, as: sockaddr_in6.self) { "[\(text(of: $0.sin6_addr, family: AF_INET6))]:\(UInt16(bigEndian: $0.sin6_port))" }
        default:
            return "unknown"
        }
    }

    /// `storage` seen as the address type its family names.
    private static func read<Address, Result>(_ storage: sockaddr_storage, as type: Address.Type,
                                              _ body: (Address) -> Result) -> Result {
        var storage = storage
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: type, capacity: 1) { body($0.pointee) } }
    }

    /// An IPv4 or IPv6 address (`in_addr`, `in6_addr`) as text.
    private static func text<Address>(of address: Address, family: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        withUnsafeBytes(of: address) { _ = inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        return cText(text)
    }
}

/// A NUL-terminated C character array as a String.
private func cText(_ chars: [CChar]) -> String {
    String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
