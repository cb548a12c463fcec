#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import VisibleLocks

/// Unique ids (RFC 9562 version 4 UUIDs) from the kernel's CSPRNG (/dev/urandom). Never derived from time, so
/// two engines or requests made in the same instant can never collide (SPEC.md §6).
///
/// Random bytes are read a block at a time and handed out under a lock, so
/// making an id costs a copy, not a system call.
public enum RandomIdentifier {
    private static let pool = VisibleMutex(RandomPool())

    /// A lowercase UUID string: "3f2a…-…".
    public static func uuid() -> String {
        var bytes = pool.withLock { $0.take16() }
        bytes.6 = (bytes.6 & 0x0F) | 0x40 // version 4
        bytes.8 = (bytes.8 & 0x3F) | 0x80 // RFC 4122 variant
        return withUnsafeBytes(of: &bytes) { raw in
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            var out = [UInt8]()
            out.reserveCapacity(36)
            for (i, byte) in raw.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

private struct RandomPool: ~Copyable {
    typealias Block = (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                       UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
    var buffer = [UInt8](repeating: 0, count: 4096)
    var offset = 4096

    mutating func take16() -> Block {
        if offset + 16 > buffer.count { refill() }
        defer { offset += 16 }
        return buffer.withUnsafeBytes { raw in
            raw.loadUnaligned(fromByteOffset: offset, as: Block.self)
        }
    }

    mutating func refill() {
        buffer.withUnsafeMutableBytes { raw in
            var filled = 0
            let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                while filled < raw.count {
                    let n = read(fd, raw.baseAddress! + filled, raw.count - filled)
                    if n > 0 { filled += n } else if n < 0 && errno == EINTR { continue } else { break }
                }
                close(fd)
            }
            // /dev/urandom is always there on Linux; should it not be (a bare chroot), fall back
            // to the system generator rather than hand out zeros.
            if filled < raw.count {
                var generator = SystemRandomNumberGenerator()
                for i in filled..<raw.count { raw[i] = generator.next() }
            }
        }
        offset = 0
    }
}
