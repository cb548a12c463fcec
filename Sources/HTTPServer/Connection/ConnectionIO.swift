import Platform
import Glibc

/// A connection's bytes in flight, in one value: input received but not consumed yet, output
/// queued for the socket (plaintext, and ciphertext when TLS is on), the TLS session, the epoll
/// interest and the write clock. The state machine decides; this moves the bytes.
struct ConnectionIO {
    /// Received bytes not consumed yet, from `inboundStart` (empty on the fast path: requests
    /// are parsed straight from the loop's read buffer).
    private(set) var inbound: [UInt8] = []
    private var inboundStart = 0
    /// Plaintext queued for the socket (or for TLS), from `outboundStart`.
    var outbound: [UInt8] = []
    private var outboundStart = 0
    private(set) var tls: TLSSession?
    /// Ciphertext queued for the socket, from `tlsOutboundStart`.
    private var tlsOutbound: [UInt8] = []
    private var tlsOutboundStart = 0
    /// The epoll interest currently registered.
    var interest: UInt32 = Epoll.input | Epoll.readHangUp
    /// When the socket last took bytes, or a write first blocked (the write timer runs from it).
    private(set) var lastWriteProgress: UInt64 = 0

    init(tls: TLSSession?) { self.tls = tls }

    var hasBufferedInput: Bool { inboundStart < inbound.count }
    var bufferedInputBytes: Int { inbound.count - inboundStart }
    var pendingOutputBytes: Int { outbound.count - outboundStart + tlsOutbound.count - tlsOutboundStart }
    var hasPendingOutput: Bool { outboundStart < outbound.count || tlsOutboundStart < tlsOutbound.count }
    /// When the TLS handshake is still under way.
    var handshakePending: Bool { tls.map { !$0.isHandshakeComplete } ?? false }

    // MARK: input

    /// Keeps the unconsumed rest of bytes parsed straight from the loop's read buffer.
    mutating func keepUnconsumed(_ rest: UnsafeRawBufferPointer) {
        inbound.removeAll(keepingCapacity: true)
        inbound.append(contentsOf: rest)
        inboundStart = 0
    }

    mutating func appendInput(_ bytes: UnsafeRawBufferPointer) { inbound.append(contentsOf: bytes) }

    /// Takes the buffered input out (so nothing reached while processing it can touch it);
    /// give back what is left with `returnInput`.
    mutating func takeInput() -> (bytes: [UInt8], start: Int) {
        defer {
            inbound = []
            inboundStart = 0
        }
        return (inbound, inboundStart)
    }

    /// Gives back taken input whose bytes before `next` were consumed; compacts once at least
    /// half of it was.
    mutating func returnInput(_ bytes: [UInt8], next: Int) {
        var bytes = bytes
        if next > 0, next >= bytes.count / 2 {
            bytes.removeSubrange(0..<next)
            inboundStart = 0
        } else {
            inboundStart = next
        }
        inbound = bytes
    }

    /// Forgets received bytes (after the final answer input is only dropped).
    mutating func dropInput() {
        inbound = []
        inboundStart = 0
    }

    /// Everything goes (the connection closed).
    mutating func release() {
        dropInput()
        outbound = []
        outboundStart = 0
        tlsOutbound = []
        tlsOutboundStart = 0
        tls = nil
    }

    // MARK: output

    enum FlushOutcome {
        /// The socket took what it could (check `hasPendingOutput` for the rest).
        case written
        /// The connection broke (with the TLS error, when there is one, for the log).
        case failed(TLSError?)
    }

    /// Writes queued bytes until the socket would block (through TLS when it is on).
    /// `writeTimerRunning`: a write that blocks keeps the write clock instead of restarting it.
    mutating func flush(fd: Int32, now: UInt64, writeTimerRunning: Bool) -> FlushOutcome {
        var progressed = false
        let result: SocketWrite
        if let tls {
            if outboundStart < outbound.count, tls.isHandshakeComplete {
                let from = outboundStart
                let failure = outbound.withUnsafeBytes { bytes -> TLSError? in
                    do throws(TLSError) {
                        try tls.writePlaintext(UnsafeRawBufferPointer(rebasing: bytes[from...]))
                        return nil
                    } catch {
                        return error
                    }
                }
                if let failure { return .failed(failure) }
                outboundStart = outbound.count
            }
            tls.takeCiphertext(into: &tlsOutbound)
            if outboundStart >= outbound.count { Self.release(&outbound, &outboundStart) }
            result = Self.write(&tlsOutbound, from: &tlsOutboundStart, fd: fd, progressed: &progressed)
            if result == .finished { Self.release(&tlsOutbound, &tlsOutboundStart) }
        } else {
            result = Self.write(&outbound, from: &outboundStart, fd: fd, progressed: &progressed)
            if result == .finished { Self.release(&outbound, &outboundStart) }
        }
        if progressed || (result == .blocked && !writeTimerRunning) { lastWriteProgress = now }
        return result == .failed ? .failed(nil) : .written
    }

    /// TLS: the records OpenSSL wants sent (handshake, alerts) join the output.
    mutating func takeTLSRecords() {
        tls?.takeCiphertext(into: &tlsOutbound)
    }

    /// TLS: sends the alert OpenSSL queued after a failure, best effort (the connection is given up).
    mutating func sendTLSAlert(fd: Int32) {
        takeTLSRecords()
        var progressed = false
        _ = Self.write(&tlsOutbound, from: &tlsOutboundStart, fd: fd, progressed: &progressed)
    }

    /// TLS: close_notify, best effort, once the socket took everything else. false: the socket broke.
    mutating func sendCloseNotify(fd: Int32) -> Bool {
        guard let tls else { return true }
        tls.shutdown()
        tls.takeCiphertext(into: &tlsOutbound)
        var progressed = false
        return Self.write(&tlsOutbound, from: &tlsOutboundStart, fd: fd, progressed: &progressed) != .failed
    }

    private enum SocketWrite { case finished, blocked, failed }

    /// Sends `buffer[start...]` until done or the socket would block; advances `start`.
    private static func write(_ buffer: inout [UInt8], from start: inout Int, fd: Int32, progressed: inout Bool) -> SocketWrite {
        let total = buffer.count
        while start < total {
            let from = start
            let written = buffer.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return 0 }
                return Glibc.send(fd, base + from, total - from, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                start += written
                progressed = true
                continue
            }
            let error = errno
            if written < 0, error == EINTR { continue }
            if written < 0, error == EAGAIN || error == EWOULDBLOCK {
                // Compact a large, mostly written buffer.
                if start > 64 * 1024, start > buffer.count / 2 {
                    buffer.removeSubrange(0..<start)
                    start = 0
                }
                return .blocked
            }
            return .failed
        }
        return .finished
    }

    /// Empties a fully written buffer: keeps a modest one for the next answer, gives back what a
    /// large body needed.
    private static func release(_ buffer: inout [UInt8], _ start: inout Int) {
        if buffer.capacity > 64 * 1024 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
        start = 0
    }
}
