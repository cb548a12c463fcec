import CZlib

/// A heap-allocated z_stream. zlib's internal state points back at its z_stream and checks that
/// pointer on every call, so the struct must never move: a Swift stored property or local
/// passed with `&` may be copied to a temporary, an allocation may not.
final class ZStream {
    let pointer: UnsafeMutablePointer<z_stream>
    private let isDeflate: Bool
    /// False when zlib could not initialise (out of memory): the stream must not be used.
    private(set) var isReady: Bool

    /// A gzip deflate stream (zlib window bits 16 + `windowBits`, 31 by default). Arguments are
    /// clamped to what zlib accepts: level 0...9, window 9...15, memory level 1...9.
    init(deflateLevel level: Int, windowBits: Int = 15, memoryLevel: Int = 8) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: z_stream())
        isDeflate = true
        let level = Int32(min(9, max(0, level)))
        let window = Int32(16 + min(15, max(9, windowBits)))
        let memory = Int32(min(9, max(1, memoryLevel)))
        isReady = isolationd_deflateInit2(pointer, level, Z_DEFLATED, window, memory, Z_DEFAULT_STRATEGY) == Z_OK
    }

    /// A gzip-only (window bits 31) inflate stream.
    init(inflate: Void) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: z_stream())
        isDeflate = false
        isReady = isolationd_inflateInit2(pointer, 31) == Z_OK
    }

    deinit {
        if isReady { _ = isDeflate ? deflateEnd(pointer) : inflateEnd(pointer) }
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }

    /// Runs deflate over `input` and appends everything it produces to `output`. Input is fed in
    /// slices that fit zlib's 32-bit counters; `flush` applies to the last slice, earlier ones
    /// use Z_NO_FLUSH. Returns false on a zlib error (the stream is then unusable).
    func deflate(_ input: UnsafeRawBufferPointer, flush: Int32, into output: inout [UInt8]) -> Bool {
        let slice = 1 << 30
        var offset = 0
        repeat {
            let count = min(input.count - offset, slice)
            pointer.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) + offset }
            pointer.pointee.avail_in = uInt(count)
            offset += count
            let mode = offset == input.count ? flush : Z_NO_FLUSH
            // Output space: enough for this slice in one go in the usual case.
            let room = Int(deflateBound(pointer, uLong(count))) + 64
            while true {
                let (result, unused) = withOutputSpace(room, in: &output) { CZlib.deflate(pointer, mode) }
                // Z_BUF_ERROR: no progress was possible, i.e. nothing is left to do.
                if result == Z_STREAM_END || result == Z_BUF_ERROR { break }
                guard result == Z_OK else { return false }
                // Z_FINISH runs until Z_STREAM_END; otherwise this slice is done once zlib took
                // all input and left output space unused (a flush is then complete too).
                if mode != Z_FINISH, unused > 0, pointer.pointee.avail_in == 0 { break }
            }
        } while offset < input.count
        return true
    }

    /// Gives zlib `room` bytes of fresh output space, runs `body`, and appends what zlib wrote
    /// to `output` (no copy when `output` was empty). Returns zlib's result and how many bytes
    /// of room stayed unused.
    func withOutputSpace(_ room: Int, in output: inout [UInt8], _ body: () -> Int32) -> (Int32, Int) {
        let room = max(1, min(room, Int(UInt32.max)))
        var result: Int32 = Z_OK
        var unused = 0
        let chunk = [UInt8](unsafeUninitializedCapacity: room) { buffer, initializedCount in
            pointer.pointee.next_out = buffer.baseAddress
            pointer.pointee.avail_out = uInt(room)
            result = body()
            unused = Int(pointer.pointee.avail_out)
            initializedCount = room - unused
            pointer.pointee.next_out = nil
            pointer.pointee.avail_out = 0
        }
        if output.isEmpty { output = chunk } else { output += chunk }
        return (result, unused)
    }
}
