#if canImport(Glibc)
import Glibc
#endif
import ExecutionCore
import Platform
import Synchronization
import VisibleLocks

/// Writes log lines to a file descriptor from a thread of its own ("log-writer"), so no caller
/// (an event loop above all) ever waits for the descriptor: a pipe nobody reads, a slow
/// terminal. Lines wait in a queue bounded in bytes (the batch being written counts until it is
/// written); a line that does not fit is dropped and counted, never waited for (issue 12, item 5).
///
/// The writer is a `Reactor` with nothing registered: producers hand it one drain task per
/// batch (a flag says a drain is already queued), and the drain writes with plain blocking
/// `write`s, which on this thread block nobody else.
final class QueuedLineWriter: Sendable {
    private struct Queue {
        var lines: [[UInt8]] = []
        /// Bytes queued plus bytes of the batch being written.
        var bytes = 0
        /// A drain task is queued or running: later lines join its next batch.
        var drainScheduled = false
    }

    let fileDescriptor: Int32
    let capacityBytes: Int
    private let queue = VisibleMutex(Queue())
    private let dropped = Atomic<UInt64>(0)
    private let reactor: Reactor
    private let thread: ReactorThread

    init(fileDescriptor: Int32, capacityBytes: Int) throws(PlatformError) {
        self.fileDescriptor = fileDescriptor
        self.capacityBytes = capacityBytes
        let reactor = try Reactor(name: "log-writer")
        self.reactor = reactor
        thread = try ReactorThread.start(name: "log-writer") { reactor.run() }
    }

    deinit {
        reactor.stop()
        thread.join()
    }

    /// Lines dropped because the queue was full.
    var droppedLines: UInt64 { dropped.load(ordering: .relaxed) }

    /// Queues one complete line, or drops and counts it when it does not fit. Never blocks
    /// beyond a short lock.
    func enqueue(_ line: [UInt8]) {
        let schedule: Bool? = queue.withLock { queue in
            guard queue.bytes + line.count <= capacityBytes else { return nil }
            queue.lines.append(line)
            queue.bytes += line.count
            guard !queue.drainScheduled else { return false }
            queue.drainScheduled = true
            return true
        }
        switch schedule {
        case nil: dropped.add(1, ordering: .relaxed)
        case true?: reactor.execute { [self] in drain() }
        case false?: break
        }
    }

    /// Waits (polling every millisecond) until every queued line was written, or `timeout`
    /// passed; returns whether the queue is empty. For the end of the process.
    @discardableResult
    func flush(timeout: Duration) -> Bool {
        let deadline = MonotonicClock.now() + UInt64(max(0, timeout.nanoseconds))
        while queue.withLock({ $0.bytes > 0 }) {
            guard MonotonicClock.now() < deadline else { return false }
            usleep(1_000)
        }
        return true
    }

    /// On the writer thread: writes batches until the queue is empty.
    private func drain() {
        var buffer: [UInt8] = []
        while true {
            let batch: [[UInt8]] = queue.withLock { queue in
                let lines = queue.lines
                queue.lines = []
                if lines.isEmpty { queue.drainScheduled = false }
                return lines
            }
            guard !batch.isEmpty else { return }
            buffer.removeAll(keepingCapacity: true)
            for line in batch { buffer.append(contentsOf: line) }
            writeAll(buffer)
            let written = buffer.count
            queue.withLock { $0.bytes -= written }
        }
    }

    /// Writes `bytes` whole; a closed or broken descriptor loses them (logging must never stop
    /// the service).
    private func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                Glibc.write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if count > 0 { offset += count; continue }
            if count < 0 && errno == EINTR { continue }
            return
        }
    }
}
