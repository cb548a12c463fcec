import COpenSSL

/// Server TLS configuration shared by every connection: certificate chain and key, TLS 1.2 as
/// the minimum version, ECDHE with AEAD ciphers for TLS 1.2 (OpenSSL's default suites for 1.3),
/// ALPN "http/1.1", no renegotiation, no session cache and no session tickets (so a connection's
/// memory is bounded and nothing is shared between connections but this immutable context).
public final class TLSContext: Sendable {
    /// The SSL_CTX. Configured completely in `init` and never changed afterwards; OpenSSL
    /// documents SSL_new on a shared, no longer modified SSL_CTX as thread-safe (its reference
    /// count is atomic). That is why `nonisolated(unsafe)` is sound here.
    nonisolated(unsafe) let context: OpaquePointer

    /// TLS 1.2 cipher list: ephemeral ECDH key exchange, authenticated, AES-GCM or ChaCha20-Poly1305.
    static let tls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20"

    /// Loads a PEM certificate chain (leaf first) and its PEM private key.
    /// Throws TLSError with OpenSSL's message when a file is missing or invalid or the key does
    /// not match the certificate. `requireTLS13` raises the minimum version from 1.2 to 1.3.
    public init(certificateChainPath: String, privateKeyPath: String, requireTLS13: Bool = false) throws(TLSError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError.fromErrorQueue("cannot create TLS context")
        }
        // Owned from here on: freed by deinit, also when a later step throws.
        self.context = context
        guard isolationd_SSL_CTX_set_min_proto_version(context, requireTLS13 ? TLS1_3_VERSION : TLS1_2_VERSION) == 1 else {
            throw TLSError.fromErrorQueue("cannot set the minimum TLS version")
        }
        guard SSL_CTX_set_cipher_list(context, TLSContext.tls12Ciphers) == 1 else {
            throw TLSError.fromErrorQueue("cannot set the TLS 1.2 cipher list")
        }
        _ = isolationd_SSL_CTX_set_options(context, Int(isolationd_SSL_OP_NO_RENEGOTIATION
            | isolationd_SSL_OP_NO_COMPRESSION | isolationd_SSL_OP_NO_TICKET))
        _ = isolationd_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_OFF))
        _ = SSL_CTX_set_num_tickets(context, 0)
        // Idle connections give their read/write buffers back.
        _ = isolationd_SSL_CTX_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
        SSL_CTX_set_alpn_select_cb(context, selectHTTP11, nil)

        guard SSL_CTX_use_certificate_chain_file(context, certificateChainPath) == 1 else {
            throw TLSError.fromErrorQueue("cannot load certificate chain \(certificateChainPath)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw TLSError.fromErrorQueue("cannot load private key \(privateKeyPath)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError.fromErrorQueue("private key does not match the certificate")
        }
    }

    deinit { SSL_CTX_free(context) }
}

/// ALPN selection (RFC 7301): "http/1.1" when the client offers it. When it does not, the
/// handshake goes on without ALPN (NOACK) rather than failing, as a client offering only
/// "h2" may still fall back to HTTP/1.1. `out` points into the client's list, which OpenSSL
/// keeps alive for the duration of the callback and copies from.
private func selectHTTP11(_ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
                          _ outLength: UnsafeMutablePointer<UInt8>?, _ offered: UnsafePointer<UInt8>?,
                          _ offeredLength: UInt32, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    guard let out, let outLength, let offered else { return SSL_TLSEXT_ERR_NOACK }
    let wanted: [UInt8] = Array("http/1.1".utf8)
    let total = Int(offeredLength)
    var index = 0
    while index < total {
        let length = Int(offered[index])
        let start = index + 1
        guard length > 0, start + length <= total else { break }  // malformed list: stop
        if length == wanted.count, (0..<length).allSatisfy({ offered[start + $0] == wanted[$0] }) {
            out.pointee = offered + start
            outLength.pointee = UInt8(length)
            return SSL_TLSEXT_ERR_OK
        }
        index = start + length
    }
    return SSL_TLSEXT_ERR_NOACK
}
