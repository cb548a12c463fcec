#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import VisibleLocks

/// Where log lines go. Each line reaches the destination in one piece: writes are serialised
/// by a lock, so lines from different threads never interleave.
public final class LogSink: Sendable {
    private let lock = VisibleMutex(())
    private let writeLine: @Sendable ([UInt8]) -> Void

    /// Lines handed to `write` (tests collect them).
    public init(_ write: @escaping @Sendable ([UInt8]) -> Void) { writeLine = write }

    /// Lines written to a file descriptor (1: standard output, 2: standard error).
    public convenience init(fileDescriptor: Int32) {
        self.init { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return Glibc.write(fileDescriptor, base + offset, raw.count - offset)
                }
                if written <= 0 {
                    if written < 0 && errno == EINTR { continue }
                    return // A closed or full log pipe must never stop the service.
                }
                offset += written
            }
        }
    }

    public static let standardOutput = LogSink(fileDescriptor: 1)
    public static let standardError = LogSink(fileDescriptor: 2)

    /// Writes one complete line (the caller includes the newline).
    public func write(_ line: [UInt8]) {
        lock.withLock { _ in writeLine(line) }
    }
}
