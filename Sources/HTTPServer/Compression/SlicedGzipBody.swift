import Platform

/// gzip of a large complete body, a slice at a time across loop turns (issue 12, item 2:
/// compression never holds a loop for more than about a millisecond). One-shot compression of
/// 1 MiB of JSON takes about 13 ms at level 5 and 90 ms at level 9 on this machine
/// (scripts/measure-gzip.sh), time in which the loop serves none of its other connections;
/// here each turn compresses 8 KiB slices while the time so far plus the last slice's stays
/// within `turnBudget`, writes what zlib produced as one chunk, and hands the loop back (the
/// next turn is a loop task, queued behind the turn's other work). Measured: the longest turn
/// of a 1 MiB body 0.8 ms at level 5 (20 turns), 1.0 ms at level 9 (126 turns).
///
/// The output also stays within the connection's outbound bound: a turn compresses no more
/// than the room left under it, writes only what the bound admits, and waits for the socket to
/// drain otherwise, so a client that reads slowly costs the body, one bound and zlib's pending
/// output, not a compressed copy of it all.
///
/// Sent chunked (HTTP/1.0: until close), without `Content-Length`: the compressed size is known
/// only at the end. `@unchecked Sendable`, and safe: `start` runs on the connection's loop (the
/// `StreamingBody` contract) and every later step is a task of that same loop (`loop.execute`,
/// `whenDrained`), so the mutable state is only ever touched by that one thread, one step at a
/// time.
final class SlicedGzipBody: @unchecked Sendable {
    /// Bodies larger than this are compressed across turns; smaller ones at once.
    /// (32 KiB takes about 0.4 ms at level 5 at once.)
    static let threshold = 32 * 1024
    static let slice = 8 * 1024
    /// Compression time per loop turn (a slice is not started when the last one would not fit).
    static let turnBudget: UInt64 = 600_000
    /// What zlib may add to a slice, and the chunk's framing, at most (kept free in the bound).
    static let margin = 1024

    private let body: [UInt8]
    private var offset = 0
    private let encoder: GzipStreamEncoder
    private var writer: (any ResponseStreamWriter)?
    /// Output not yet written (it did not fit the bound), and whether the trailer is in it.
    private var held: [UInt8] = []
    private var compressedAll = false
    /// Turns taken (tests).
    private(set) var turns = 0

    init(_ body: [UInt8], level: Int) {
        self.body = body
        encoder = GzipStreamEncoder(level: level)
    }

    /// The producer the connection starts like any streamed body.
    static func streamingBody(_ body: [UInt8], level: Int) -> StreamingBody {
        let producer = SlicedGzipBody(body, level: level)
        return StreamingBody(start: { writer in producer.start(writer) })
    }

    func start(_ writer: any ResponseStreamWriter) {
        self.writer = writer
        step()
    }

    /// One turn: write what zlib produced before (if it fits now), compress what fits the time
    /// and the room, write it, and queue the next turn (or end the body after the trailer).
    func step() {
        guard let writer, writer.isOpen else { return release() }
        guard writeHeld(writer) else { return }
        if compressedAll {
            writer.finish(final: nil)
            return release()
        }
        let backlog = writer.outboundBacklog
        let room = writer.outboundBound - backlog
        guard backlog == 0 || room >= Self.slice + Self.margin else {
            writer.whenDrained { [self] in step() }
            return
        }
        turns += 1
        let started = MonotonicClock.now()
        var sliceStarted = started
        var lastSlice: UInt64 = 0
        var output: [UInt8] = []
        repeat {
            let end = min(body.count, offset + Self.slice)
            output += body.withUnsafeBytes { encoder.compress(UnsafeRawBufferPointer(rebasing: $0[offset..<end]), flush: false) }
            offset = end
            let now = MonotonicClock.now()
            lastSlice = now &- sliceStarted
            sliceStarted = now
        } while offset < body.count && sliceStarted &- started &+ lastSlice <= Self.turnBudget
            && output.count + Self.slice + Self.margin <= room
        if offset == body.count {
            output += encoder.finish()
            compressedAll = true
        }
        held = output
        guard writeHeld(writer) else { return }
        if compressedAll {
            writer.finish(final: nil)
            return release()
        }
        writer.loop.execute { [self] in step() }
    }

    /// Writes what zlib produced and was not written yet. zlib may release output it held back
    /// from earlier slices (up to its pending buffer) at any call, so a turn's output can pass
    /// the room it was sized for: it then waits here until the socket has drained. false: wait
    /// (or the stream is closed).
    private func writeHeld(_ writer: any ResponseStreamWriter) -> Bool {
        guard !held.isEmpty else { return true }
        switch writer.write(held) {
        case .queued:
            held = []
            return true
        case .overflow:
            writer.whenDrained { [self] in step() }
            return false
        case .closed:
            release()
            return false
        }
    }

    /// The body is done (or its connection is): nothing refers back to the writer.
    private func release() {
        writer = nil
        held = []
    }
}
