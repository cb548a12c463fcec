@testable import HTTPServer
import Platform
import Testing
import VisibleLocks

/// A loop whose tasks run only when the test says (one "turn" at a time), and a stream writer
/// playing a socket that takes bytes only when told: enough to watch `SlicedGzipBody` turn by
/// turn without a server.
final class ManualLoop: ConnectionLoop {
    private let tasks = VisibleMutex<[@Sendable () -> Void]>([])
    func execute(_ task: @escaping @Sendable () -> Void) { tasks.withLock { $0.append(task) } }
    var inLoopThread: Bool { true }
    func schedule(after delay: Duration, _ task: @escaping @Sendable () -> Void) -> ConnectionLoopTimer {
        ConnectionLoopTimer {}
    }

    /// Runs the tasks queued so far; returns how many ran.
    @discardableResult
    func turn() -> Int {
        let due = tasks.withLock { tasks in defer { tasks = [] }; return tasks }
        for task in due { task() }
        return due.count
    }
}

final class PlayedSocketWriter: ResponseStreamWriter {
    struct State {
        var written: [UInt8] = []
        var queued = 0
        var peak = 0
        var finished = false
        var waiter: (@Sendable () -> Void)?
    }
    let manualLoop: ManualLoop
    let outboundBound: Int
    let state = VisibleMutex(State())

    init(loop: ManualLoop, bound: Int) {
        manualLoop = loop
        outboundBound = bound
    }

    var loop: any ConnectionLoop { manualLoop }
    var isOpen: Bool { state.withLock { !$0.finished } }
    var outboundBacklog: Int { state.withLock { $0.queued } }

    func write(_ bytes: [UInt8]) -> StreamWriteResult {
        state.withLock { state in
            guard state.queued == 0 || state.queued + bytes.count <= outboundBound else { return .overflow }
            state.written += bytes
            state.queued += bytes.count
            state.peak = max(state.peak, state.queued)
            return .queued
        }
    }

    func finish(final: [UInt8]?) {
        state.withLock { state in
            state.written += final ?? []
            state.finished = true
        }
    }

    func onClose(_ handler: @escaping @Sendable (StreamCloseReason) -> Void) {}
    func onShutdown(_ handler: @escaping @Sendable () -> Void) {}
    func whenDrained(_ handler: @escaping @Sendable () -> Void) { state.withLock { $0.waiter = handler } }

    /// The played socket takes everything queued; a drain waiter runs as a loop task.
    func socketTakesAll() {
        let waiter = state.withLock { state -> (@Sendable () -> Void)? in
            state.queued = 0
            defer { state.waiter = nil }
            return state.waiter
        }
        if let waiter { manualLoop.execute(waiter) }
    }
}

@Suite("gzip of a large body across loop turns")
struct SlicedGzipBodyTests {
    /// About 1 MiB of JSON, like a large listing.
    static let body: [UInt8] = {
        var text = "{\"runs\":["
        var index = 0
        while text.utf8.count < (1 << 20) - 200 {
            text += "{\"id\":\"run_\(index * 7919 % 100_003)\",\"state\":\"\(index % 3 == 0 ? "completed" : "running")\",\"n\":\(index)},"
            index += 1
        }
        return Array((text + "{\"id\":\"last\"}]}").utf8)
    }()

    @Test func aLargeBodyIsCompressedOverManyTurnsIntoOneValidGzipMember() throws {
        let loop = ManualLoop()
        let writer = PlayedSocketWriter(loop: loop, bound: 1 << 20)
        let producer = SlicedGzipBody(Self.body, level: 5)
        producer.start(writer)
        var turns = 1
        while writer.isOpen, turns < 10_000 {
            writer.socketTakesAll()
            turns += 1
            #expect(loop.turn() <= 1, "one step per turn")
        }
        #expect(!writer.isOpen, "finished")
        #expect(producer.turns > 1, "spread over \(producer.turns) turns")
        let gzip = writer.state.withLock { $0.written }
        #expect(try Gzip.decompress(gzip, maxOutputBytes: 2 << 20, maxRatio: 1000) == Self.body)
        #expect(gzip.count < Self.body.count / 4)
    }

    @Test func aSlowReaderGetsNoMoreThanTheBoundQueuedAndTheBodyWaitsForIt() throws {
        let loop = ManualLoop()
        let bound = 64 * 1024
        let writer = PlayedSocketWriter(loop: loop, bound: bound)
        // Level 1 on data that compresses little: the output grows fast.
        var noisy = [UInt8](repeating: 0, count: 512 * 1024)
        var seed: UInt32 = 12345
        for index in noisy.indices {
            seed = seed &* 1_103_515_245 &+ 12345
            noisy[index] = UInt8(truncatingIfNeeded: seed >> 16)
        }
        let producer = SlicedGzipBody(noisy, level: 1)
        producer.start(writer)
        // The socket takes nothing: the producer stops once the bound is used.
        for _ in 0..<50 { loop.turn() }
        #expect(writer.isOpen)
        let stalled = writer.state.withLock { ($0.queued, $0.waiter != nil) }
        #expect(stalled.0 <= bound && stalled.1, "waiting for the socket with \(stalled.0) bytes queued")
        var rounds = 0
        while writer.isOpen, rounds < 10_000 {
            writer.socketTakesAll()
            loop.turn()
            rounds += 1
        }
        #expect(writer.state.withLock { $0.peak } <= bound)
        #expect(try Gzip.decompress(writer.state.withLock { $0.written }, maxOutputBytes: 1 << 20, maxRatio: 1000) == noisy)
    }
}
