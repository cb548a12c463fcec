#if canImport(Glibc)
import Glibc
#endif
import VisibleLocks

/// Where log lines go, each in one piece (lines from different threads never interleave).
///
/// A descriptor (standard output, standard error) is written by a `QueuedLineWriter`: callers,
/// event loops among them, only queue the line; when the bounded queue is full (nobody reads
/// the pipe) lines are dropped and counted in `droppedLines`, never waited for. A closure sink
/// (tests) is called under a lock on the caller's thread.
public final class LogSink: Sendable {
    /// Bytes of log lines that may wait for a slow descriptor before lines are dropped.
    public static let defaultQueueBytes = 4 << 20

    private let lock = VisibleMutex(())
    private let writeLine: (@Sendable ([UInt8]) -> Void)?
    private let queued: QueuedLineWriter?

    /// Lines handed to `write` (tests collect them).
    public init(_ write: @escaping @Sendable ([UInt8]) -> Void) {
        writeLine = write
        queued = nil
    }

    /// Lines written to a file descriptor (1: standard output, 2: standard error) by a writer
    /// thread, through a queue of `queueBytes`. Should the thread not start (resource
    /// exhaustion at start-up), lines are written directly, as a last resort.
    public init(fileDescriptor: Int32, queueBytes: Int = LogSink.defaultQueueBytes) {
        do {
            queued = try QueuedLineWriter(fileDescriptor: fileDescriptor, capacityBytes: queueBytes)
            writeLine = nil
        } catch {
            queued = nil
            writeLine = { line in
                _ = line.withUnsafeBytes { Glibc.write(fileDescriptor, $0.baseAddress, $0.count) }
            }
        }
    }

    public static let standardOutput = LogSink(fileDescriptor: 1)
    public static let standardError = LogSink(fileDescriptor: 2)

    /// Writes one complete line (the caller includes the newline): queued for a descriptor,
    /// handed over at once for a closure.
    public func write(_ line: [UInt8]) {
        if let queued {
            queued.enqueue(line)
        } else if let writeLine {
            lock.withLock { _ in writeLine(line) }
        }
    }

    /// Lines dropped because the descriptor did not keep up (`isolationd_log_lines_dropped_total`).
    public var droppedLines: UInt64 { queued?.droppedLines ?? 0 }

    /// Waits up to `timeout` until the queued lines are written (before the process exits);
    /// returns whether all were.
    @discardableResult
    public func flush(timeout: Duration = .seconds(2)) -> Bool {
        queued?.flush(timeout: timeout) ?? true
    }
}
