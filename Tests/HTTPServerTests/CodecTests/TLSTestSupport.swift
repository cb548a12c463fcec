import COpenSSL
import Glibc
@testable import HTTPServer

/// An OpenSSL client over memory BIOs, the counterpart of a `TLSSession` in tests.
final class TestTLSClient {
    let context: OpaquePointer
    let ssl: OpaquePointer
    let incoming: OpaquePointer
    let outgoing: OpaquePointer

    /// - Parameters:
    ///   - versions: allowed protocol versions (OpenSSL constants such as TLS1_2_VERSION).
    ///   - alpn: protocols to offer, none when empty.
    ///   - cipherList: TLS 1.2-and-below cipher list (e.g. with @SECLEVEL=0 for old versions).
    init(versions: ClosedRange<Int32> = TLS1_2_VERSION...TLS1_3_VERSION, alpn: [String] = ["http/1.1"],
         cipherList: String? = nil) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.fromErrorQueue("client context") }
        self.context = context
        _ = isolationd_SSL_CTX_set_min_proto_version(context, versions.lowerBound)
        _ = isolationd_SSL_CTX_set_max_proto_version(context, versions.upperBound)
        if let cipherList { _ = SSL_CTX_set_cipher_list(context, cipherList) }
        if !alpn.isEmpty {
            let wire = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            _ = SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count))
        }
        guard let ssl = SSL_new(context), let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            throw TLSError.fromErrorQueue("client session")
        }
        SSL_set_bio(ssl, incoming, outgoing)
        SSL_set_connect_state(ssl)
        _ = isolationd_SSL_set_tlsext_host_name(ssl, "localhost")
        self.ssl = ssl
        self.incoming = incoming
        self.outgoing = outgoing
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    var isHandshakeComplete: Bool { SSL_is_init_finished(ssl) == 1 }

    /// Advances the client handshake; false on a fatal error.
    func handshake() -> Bool {
        let result = SSL_do_handshake(ssl)
        if result == 1 { return true }
        let error = SSL_get_error(ssl, result)
        return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE
    }

    func receive(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        _ = bytes.withUnsafeBytes { BIO_write(incoming, $0.baseAddress, Int32($0.count)) }
    }

    func takeCiphertext() -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let read = chunk.withUnsafeMutableBytes { BIO_read(outgoing, $0.baseAddress, Int32($0.count)) }
            guard read > 0 else { return out }
            out += chunk[..<Int(read)]
        }
    }

    func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) } == Int32(bytes.count)
    }

    /// Everything readable now; `closed` when the server's close_notify was read.
    func read() -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let read = chunk.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if read > 0 { out += chunk[..<Int(read)]; continue }
            return (out, SSL_get_error(ssl, read) == SSL_ERROR_ZERO_RETURN)
        }
    }

    func shutdown() { _ = SSL_shutdown(ssl) }

    var cipherName: String {
        guard let cipher = SSL_get_current_cipher(ssl), let name = SSL_CIPHER_get_name(cipher) else { return "" }
        return String(cString: name)
    }
}

/// Moves bytes between a client and a server session until both finished the handshake or a
/// bounded number of rounds passed. Returns the server's error, if it threw one.
@discardableResult
func pumpHandshake(_ client: TestTLSClient, _ server: TLSSession, rounds: Int = 10) -> TLSError? {
    for _ in 0..<rounds {
        _ = client.handshake()
        let toServer = client.takeCiphertext()
        toServer.withUnsafeBytes { server.receive($0) }
        var plaintext: [UInt8] = []
        do {
            _ = try server.readPlaintext(into: &plaintext)
        } catch {
            return error
        }
        var toClient: [UInt8] = []
        server.takeCiphertext(into: &toClient)
        client.receive(toClient)
        if client.isHandshakeComplete, server.isHandshakeComplete, toClient.isEmpty, toServer.isEmpty { return nil }
    }
    return nil
}
