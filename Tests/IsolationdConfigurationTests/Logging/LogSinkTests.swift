#if canImport(Glibc)
import Glibc
#endif
import IsolationdConfiguration
import IsolationdTesting
import Platform
import Testing
import VisibleLocks

/// A log sink on a descriptor queues lines for a writer thread: a reader that stops reading
/// never makes a caller wait; what does not fit is dropped and counted, the rest arrives whole
/// and in order.
@Suite("Log sink: a writer thread, a bounded queue")
struct LogSinkTests {
    @Test("a pipe nobody reads: every write returns, overflow is dropped and counted, the rest arrives whole and in order")
    func unreadPipe() async throws {
        let pipe = try PlatformCalls.makePipe()
        defer { close(pipe.read); close(pipe.write) }
        // The smallest pipe the kernel allows (a page), so the queue's bound decides.
        _ = fcntl(pipe.write, 1031 /* F_SETPIPE_SZ, behind _GNU_SOURCE */, Int32(4096))
        let sink = LogSink(fileDescriptor: pipe.write, queueBytes: 64 * 1024)
        let lines = 2_000

        // Written from a thread of their own: with a sink that waits for the reader they would
        // never finish, and the test would fail at the bound instead of hanging.
        let finished = VisibleMutex(false)
        let writer = try ReactorThread.start(name: "log-test") {
            for index in 0..<lines { sink.write(numberedLine(index)) }
            finished.withLock { $0 = true }
        }
        guard await eventually(within: .seconds(20), { finished.withLock { $0 } }) else {
            // Left blocked, not joined: the handle's release detaches the thread.
            Issue.record("writing 2,000 lines waited for the reader")
            return
        }
        writer.join()
        let dropped = Int(sink.droppedLines)
        // 2,000 lines of 100 bytes are 200 KB: far more than the queue and the pipe together.
        #expect(dropped > 0)

        var received = readLines(from: pipe.read, count: lines - dropped)
        #expect(received.count == lines - dropped)
        let numbers = received.compactMap(lineNumber)
        #expect(numbers.count == received.count, "every line arrives whole")
        #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count, "in order, none twice")

        // Once the reader caught up, lines flow again and nothing more is dropped.
        for index in lines..<(lines + 10) { sink.write(numberedLine(index)) }
        received = readLines(from: pipe.read, count: 10)
        #expect(received.compactMap(lineNumber) == Array(lines..<(lines + 10)))
        #expect(Int(sink.droppedLines) == dropped)
    }

    @Test("flush returns once every queued line is in the descriptor")
    func flushWaits() throws {
        let pipe = try PlatformCalls.makePipe()
        defer { close(pipe.read); close(pipe.write) }
        let sink = LogSink(fileDescriptor: pipe.write)
        for index in 0..<200 { sink.write(numberedLine(index)) }
        #expect(sink.flush(timeout: .seconds(20)))
        // All 200 lines (20 KB) are in the pipe now: reading without waiting finds every one.
        let received = readLines(from: pipe.read, count: 200, patienceMilliseconds: 0)
        #expect(received.compactMap(lineNumber) == Array(0..<200))
        #expect(sink.droppedLines == 0)
    }
}

/// "line <index>" padded with dots to 100 bytes, newline included.
private func numberedLine(_ index: Int) -> [UInt8] {
    var line = Array("line \(index) ".utf8)
    line += [UInt8](repeating: UInt8(ascii: "."), count: 99 - line.count)
    line.append(0x0A)
    return line
}

/// The index of a whole line made by `numberedLine`, or nil for a torn one.
private func lineNumber(_ line: String) -> Int? {
    let parts = line.split(separator: " ")
    guard line.utf8.count == 99, parts.count == 3, parts[0] == "line", parts[2].allSatisfy({ $0 == "." }) else { return nil }
    return Int(parts[1])
}

/// Reads until `count` lines arrived or nothing came for `patienceMilliseconds`, and returns
/// them without their newlines.
private func readLines(from fd: Int32, count: Int, patienceMilliseconds: Int32 = 20_000) -> [String] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16_384)
    while bytes.lazy.filter({ $0 == 0x0A }).count < count {
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, patienceMilliseconds) == 1 else { break }
        let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if got < 0 && errno == EINTR { continue }
        guard got > 0 else { break }
        bytes += buffer[0..<got]
    }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
}
