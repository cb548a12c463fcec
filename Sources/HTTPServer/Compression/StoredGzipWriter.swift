import CZlib

/// Writes gzip (RFC 1952) with uncompressed "stored" deflate blocks (RFC 1951 §3.2.4). Used only
/// when zlib cannot set up a deflate stream (out of memory): the output is then larger than the
/// input but still valid gzip, so a response already promised as gzip stays correct.
struct StoredGzipWriter {
    private var crc: uLong = crc32(0, nil, 0)
    private var size: UInt32 = 0

    /// Member header: magic, method deflate, no flags, no mtime, unknown OS.
    static let header: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF]

    /// Non-final stored blocks holding `bytes` (an empty one for empty input, like a sync flush).
    mutating func blocks(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        if let base = bytes.baseAddress, bytes.count > 0 {
            crc = crc32(crc, base.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
        }
        size &+= UInt32(truncatingIfNeeded: bytes.count)
        var offset = 0
        repeat {
            let count = min(bytes.count - offset, 0xFFFF)
            Self.appendBlockHeader(length: count, final: false, into: &output)
            if count > 0 { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])) }
            offset += count
        } while offset < bytes.count
    }

    /// The final empty block and the trailer (CRC-32 and size modulo 2^32, little-endian).
    func finish(into output: inout [UInt8]) {
        Self.appendBlockHeader(length: 0, final: true, into: &output)
        let crc32Value = UInt32(truncatingIfNeeded: crc)
        for value in [crc32Value, size] {
            for shift in stride(from: 0, to: 32, by: 8) { output.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        }
    }

    private static func appendBlockHeader(length: Int, final: Bool, into output: inout [UInt8]) {
        let length = UInt16(length)
        output.append(final ? 0x01 : 0x00)  // BFINAL, BTYPE 00, padding to the byte boundary
        output.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)])
    }

    /// A whole gzip member of `bytes`.
    static func member(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var writer = StoredGzipWriter()
        var output = header
        writer.blocks(bytes, into: &output)
        writer.finish(into: &output)
        return output
    }
}
