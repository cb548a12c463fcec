import CZlib

/// gzip for a streamed body (SSE, chunked): one gzip member over the whole stream, flushed with
/// Z_SYNC_FLUSH whenever a chunk must reach the client now, so a reader can decode everything
/// sent so far. Owned by one connection; not thread-safe.
public final class GzipStreamEncoder {
    private let stream: ZStream
    /// Set when zlib could not initialise: the stream is then written as stored blocks.
    private var fallback: StoredGzipWriter?
    private var startedFallback = false
    private var finished = false

    /// `level` 0...9 (clamped). zlib's deflate state takes about 2^(windowBits+2) +
    /// 2^(memoryLevel+9) bytes for the stream's life: 256 KiB with the defaults, 32 KiB with
    /// `windowBits: 12, memoryLevel: 5`, which suits many small events (SSE) well enough.
    /// windowBits is clamped to 9...15, memoryLevel to 1...9.
    public init(level: Int = 5, windowBits: Int = 15, memoryLevel: Int = 8) {
        stream = ZStream(deflateLevel: level, windowBits: windowBits, memoryLevel: memoryLevel)
        if !stream.isReady { fallback = StoredGzipWriter() }
    }

    /// Compresses `chunk`; with `flush`, ends with a sync flush so the output so far is
    /// decodable. Without it zlib may hold data back (better ratio). Returns the bytes to send
    /// (possibly none); nothing after `finish`.
    public func compress(_ chunk: UnsafeRawBufferPointer, flush: Bool) -> [UInt8] {
        guard !finished else { return [] }
        var output: [UInt8] = []
        if fallback != nil {
            startFallbackIfNeeded(into: &output)
            fallback?.blocks(chunk, into: &output)
            return output
        }
        if !stream.deflate(chunk, flush: flush ? Z_SYNC_FLUSH : Z_NO_FLUSH, into: &output) {
            // A zlib stream error cannot be produced by input data; stop producing bytes.
            finished = true
        }
        return output
    }

    /// Array convenience for `compress(_:flush:)`.
    public func compress(_ chunk: [UInt8], flush: Bool) -> [UInt8] {
        chunk.withUnsafeBytes { compress($0, flush: flush) }
    }

    /// Ends the member (final block and CRC/size trailer). Returns nothing when called again.
    public func finish() -> [UInt8] {
        guard !finished else { return [] }
        finished = true
        var output: [UInt8] = []
        if let fallback {
            startFallbackIfNeeded(into: &output)
            fallback.finish(into: &output)
            return output
        }
        _ = stream.deflate(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH, into: &output)
        return output
    }

    private func startFallbackIfNeeded(into output: inout [UInt8]) {
        guard !startedFallback else { return }
        startedFallback = true
        output += StoredGzipWriter.header
    }
}
