import COpenSSL

/// The outcome of `TLSSession.readPlaintext`.
public enum TLSReadStatus: Equatable, Sendable {
    /// Decrypted data was appended.
    case ok
    /// Nothing to hand out yet: more ciphertext is needed (the handshake may still have
    /// produced records to send: call `takeCiphertext` after every read).
    case wantMore
    /// The peer sent close_notify; no more data will come.
    case closed
}

/// TLS for one connection, server side, over two OpenSSL memory BIOs: the transport feeds what
/// it read from the socket with `receive`, pulls decrypted data with `readPlaintext`, encrypts
/// with `writePlaintext` and sends what `takeCiphertext` returns. No socket is touched here.
/// Used only on its connection's loop thread (OpenSSL's error queue is per thread; every call
/// whose outcome is read through `SSL_get_error` clears it first, so sessions sharing a thread
/// do not see each other's errors).
public final class TLSSession {
    private let ssl: OpaquePointer
    /// Ciphertext from the peer (SSL reads it). Owned by `ssl`.
    private let incoming: OpaquePointer
    /// Ciphertext for the peer (SSL writes it). Owned by `ssl`.
    private let outgoing: OpaquePointer
    private var sawCloseNotify = false
    private var shutdownSent = false
    /// Holds on to the context for as long as the session uses it.
    private let context: TLSContext

    public init(context: TLSContext) throws(TLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.context) else { throw TLSError.fromErrorQueue("cannot create TLS session") }
        guard let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError.fromErrorQueue("cannot create TLS memory buffers")
        }
        SSL_set_bio(ssl, incoming, outgoing)
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.incoming = incoming
        self.outgoing = outgoing
        self.context = context
    }

    deinit { SSL_free(ssl) }  // also frees both BIOs

    /// True once the handshake finished (application data may flow).
    public var isHandshakeComplete: Bool { SSL_is_init_finished(ssl) == 1 }

    /// True once the peer's close_notify was read (also when `readPlaintext` returned `.ok`
    /// for data that arrived together with it).
    public var isClosedByPeer: Bool { sawCloseNotify }

    /// The protocol selected by ALPN ("http/1.1"), nil when the client offered none we speak.
    public var negotiatedALPN: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The negotiated protocol version ("TLSv1.3"), for logs.
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// Ciphertext read from the socket.
    public func receive(_ ciphertext: UnsafeRawBufferPointer) {
        guard let base = ciphertext.baseAddress else { return }
        var offset = 0
        while offset < ciphertext.count {
            let written = BIO_write(incoming, base + offset, Int32(clamping: ciphertext.count - offset))
            guard written > 0 else { return }  // a memory BIO only fails when out of memory
            offset += Int(written)
        }
    }

    /// Runs the handshake as needed and appends decrypted application data to `plaintext`.
    /// Throws on a failed handshake (wrong version, no shared cipher, not TLS at all) or a bad
    /// record; OpenSSL has then usually queued an alert: send `takeCiphertext` and close.
    public func readPlaintext(into plaintext: inout [UInt8]) throws(TLSError) -> TLSReadStatus {
        if sawCloseNotify { return .closed }
        ERR_clear_error()
        if SSL_is_init_finished(ssl) != 1 {
            let result = SSL_do_handshake(ssl)
            if result != 1 {
                switch SSL_get_error(ssl, result) {
                case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wantMore
                case SSL_ERROR_ZERO_RETURN: sawCloseNotify = true; return .closed
                default: throw TLSError.fromErrorQueue("TLS handshake failed")
                }
            }
        }
        var appended = false
        // One TLS record holds at most 16 KiB of plaintext.
        let chunk = 16 * 1024
        while true {
            var read = 0
            let result = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk) { buffer in
                let result = SSL_read_ex(ssl, buffer.baseAddress, chunk, &read)
                if result == 1 { plaintext.append(contentsOf: buffer[..<min(read, chunk)]) }
                return result
            }
            if result == 1 {
                appended = true
                // Nothing decrypted left in OpenSSL and no ciphertext waiting in the BIO: another
                // read could only fail with WANT_READ, and finding that out costs as much as a
                // read (one per request on a keep-alive connection).
                if SSL_pending(ssl) == 0 && BIO_ctrl_pending(incoming) == 0 { return .ok }
                continue
            }
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return appended ? .ok : .wantMore
            case SSL_ERROR_ZERO_RETURN:
                sawCloseNotify = true
                return appended ? .ok : .closed
            default:
                throw TLSError.fromErrorQueue("TLS read failed")
            }
        }
    }

    /// Encrypts application data; only after the handshake completed and before `shutdown`.
    public func writePlaintext(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        guard SSL_is_init_finished(ssl) == 1 else { throw TLSError("TLS write before the handshake completed") }
        guard !shutdownSent else { throw TLSError("TLS write after shutdown") }
        guard let base = bytes.baseAddress else { return }
        // No ERR_clear_error here: SSL_write_ex's result is read directly (never through
        // SSL_get_error), so an error left by another caller cannot be mistaken for ours.
        var offset = 0
        while offset < bytes.count {
            var written = 0
            let result = SSL_write_ex(ssl, base + offset, bytes.count - offset, &written)
            guard result == 1, written > 0 else { throw TLSError.fromErrorQueue("TLS write failed") }
            offset += written
        }
    }

    /// Array convenience for `writePlaintext(_:)`.
    public func writePlaintext(_ bytes: [UInt8]) throws(TLSError) {
        var failure: TLSError?
        bytes.withUnsafeBytes { raw in
            do throws(TLSError) { try writePlaintext(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Appends the ciphertext waiting to be sent (handshake records, application data, alerts)
    /// to `buffer` and empties the outgoing BIO.
    public func takeCiphertext(into buffer: inout [UInt8]) {
        while true {
            let pending = Int(BIO_ctrl_pending(outgoing))
            guard pending > 0 else { return }
            let start = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: pending))
            let read = buffer.withUnsafeMutableBytes { raw in
                BIO_read(outgoing, raw.baseAddress.map { $0 + start }, Int32(clamping: pending))
            }
            let kept = max(0, Int(read))
            buffer.removeLast(pending - min(kept, pending))
            guard read > 0 else { return }
        }
    }

    /// True when `takeCiphertext` has something to hand out.
    public var hasPendingCiphertext: Bool { BIO_ctrl_pending(outgoing) > 0 }

    /// Queues close_notify (sent by the next `takeCiphertext`). Does nothing before the
    /// handshake completed or when already done.
    public func shutdown() {
        guard !shutdownSent, SSL_is_init_finished(ssl) == 1 else { return }
        shutdownSent = true
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }
}
