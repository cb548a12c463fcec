import CZlib

/// Why a gzip body could not be decompressed.
public enum GzipError: Error, Equatable, Sendable {
    /// The output would exceed `maxOutputBytes` or `maxRatio` times the input (answer 413).
    /// Also reported when zlib runs out of memory.
    case tooLarge
    /// Not gzip, damaged, truncated, or followed by bytes that are not another gzip member
    /// (answer 400).
    case corrupt
}

/// One-shot gzip (RFC 1952) through zlib.
public enum Gzip {
    /// A complete gzip member of `bytes` at `level` (0...9, clamped). Never fails: should zlib
    /// be unable to allocate its state, the data is stored uncompressed in valid gzip.
    public static func compress(_ bytes: [UInt8], level: Int = 5) -> [UInt8] {
        bytes.withUnsafeBytes { compress($0, level: level) }
    }

    /// `compress` for raw bytes.
    public static func compress(_ bytes: UnsafeRawBufferPointer, level: Int = 5) -> [UInt8] {
        let stream = ZStream(deflateLevel: level)
        var output: [UInt8] = []
        guard stream.isReady, stream.deflate(bytes, flush: Z_FINISH, into: &output) else {
            return StoredGzipWriter.member(bytes)
        }
        // The output buffer was sized for the worst case; do not keep that capacity around
        // while the response waits to be sent.
        guard output.capacity > output.count * 2 + 4096 else { return output }
        return [UInt8](unsafeUninitializedCapacity: output.count) { buffer, count in
            count = buffer.initialize(fromContentsOf: output)
        }
    }

    /// Decompresses a gzip body (one or more concatenated members), bounded: more output than
    /// `maxOutputBytes`, or than `maxRatio` times the input size, is `.tooLarge` and stops at
    /// once (memory use stays near the bound, so a small "zip bomb" cannot exhaust it).
    /// Damaged or truncated data, or trailing bytes that do not start another member, is
    /// `.corrupt`. Negative bounds count as 0.
    public static func decompress(_ bytes: [UInt8], maxOutputBytes: Int, maxRatio: Int) throws(GzipError) -> [UInt8] {
        let ratioBound = max(0, maxRatio).multipliedReportingOverflow(by: bytes.count)
        let limit = min(max(0, maxOutputBytes), ratioBound.overflow ? Int.max : ratioBound.partialValue)
        let stream = ZStream(inflate: ())
        guard stream.isReady else { throw .tooLarge }
        guard !bytes.isEmpty else { throw .corrupt }
        var output: [UInt8] = []
        let failure = bytes.withUnsafeBytes { inflate($0, stream: stream, limit: limit, into: &output) }
        if let failure { throw failure }
        return output
    }

    /// Inflates all of `input` into `output`; nil on success.
    private static func inflate(_ input: UnsafeRawBufferPointer, stream: ZStream, limit: Int,
                                into output: inout [UInt8]) -> GzipError? {
        let z = stream.pointer
        let slice = 1 << 30
        var fed = 0
        while true {
            if z.pointee.avail_in == 0, fed < input.count, let base = input.baseAddress {
                let count = min(input.count - fed, slice)
                z.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self)) + fed
                z.pointee.avail_in = uInt(count)
                fed += count
            }
            // One byte more than allowed is room enough to notice that the limit is exceeded.
            let room = min(64 * 1024, limit - output.count + 1)
            let (result, _) = stream.withOutputSpace(room, in: &output) { CZlib.inflate(z, Z_NO_FLUSH) }
            if output.count > limit { return .tooLarge }
            switch result {
            case Z_OK:
                continue
            case Z_STREAM_END:
                let remaining = Int(z.pointee.avail_in) + (input.count - fed)
                if remaining == 0 { return nil }
                // RFC 1952 §2.2: a gzip file is a series of members. Anything else trailing is
                // not gzip and is refused rather than silently dropped.
                let next = input.count - remaining
                guard remaining >= 2, input[next] == 0x1F, input[next + 1] == 0x8B else { return .corrupt }
                guard inflateReset(z) == Z_OK else { return .corrupt }
            case Z_BUF_ERROR:
                // No progress although output room was given: unless another slice of input
                // is waiting, the input ended mid-stream.
                if z.pointee.avail_in > 0 || fed == input.count { return .corrupt }
            case Z_MEM_ERROR:
                return .tooLarge
            default:  // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
                return .corrupt
            }
        }
    }
}
