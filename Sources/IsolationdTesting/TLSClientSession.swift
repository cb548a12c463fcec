import COpenSSL
import Glibc
import Synchronization
import VisibleLocks

/// The client side of TLS for `RawHTTPClient`: OpenSSL over the blocking socket, no certificate
/// verification (tests use throw-away self-signed certificates), ALPN "http/1.1" offered.
final class TLSClientSession: Sendable {
    private struct Handles {
        let context: OpaquePointer
        let ssl: OpaquePointer
    }

    /// The OpenSSL objects, used under the lock: one blocking operation at a time.
    private let handles: VisibleMutex<Handles>
    let negotiatedALPN: String?

    init(fd: Int32) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw RawHTTPClientError.system("SSL_CTX_new", 0) }
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw RawHTTPClientError.system("SSL_new", 0)
        }
        let alpn: [UInt8] = [8] + Array("http/1.1".utf8)
        _ = alpn.withUnsafeBufferPointer { SSL_set_alpn_protos(ssl, $0.baseAddress, UInt32($0.count)) }
        SSL_set_fd(ssl, fd)
        guard SSL_connect(ssl) == 1 else {
            SSL_free(ssl)
            SSL_CTX_free(context)
            throw RawHTTPClientError.malformed("TLS handshake failed")
        }
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        negotiatedALPN = data.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self) }
        handles = VisibleMutex(Handles(context: context, ssl: ssl))
    }

    deinit {
        handles.withLock { handles in
            SSL_free(handles.ssl)
            SSL_CTX_free(handles.context)
        }
    }

    /// Up to `maxCount` decrypted bytes; empty at the end of the stream. Throws on timeout or error.
    func read(maxCount: Int = 65536) throws -> [UInt8] {
        try handles.withLock { handles throws -> [UInt8] in
            var chunk = [UInt8](repeating: 0, count: maxCount)
            var read = 0
            let result = chunk.withUnsafeMutableBytes { SSL_read_ex(handles.ssl, $0.baseAddress, $0.count, &read) }
            if result == 1 { return Array(chunk[0..<read]) }
            let failure = SSL_get_error(handles.ssl, result)
            let code = errno
            switch failure {
            case SSL_ERROR_ZERO_RETURN: return []
            case SSL_ERROR_SYSCALL where code == EAGAIN || code == EWOULDBLOCK: throw RawHTTPClientError.timedOut
            case SSL_ERROR_SYSCALL, SSL_ERROR_SSL: return []  // reset or unexpected EOF: the peer is gone
            default: throw RawHTTPClientError.system("SSL_read", code)
            }
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try handles.withLock { handles throws in
            var written = 0
            let ok = bytes.withUnsafeBytes { SSL_write_ex(handles.ssl, $0.baseAddress, $0.count, &written) }
            guard ok == 1, written == bytes.count else { throw RawHTTPClientError.system("SSL_write", errno) }
        }
    }
}
