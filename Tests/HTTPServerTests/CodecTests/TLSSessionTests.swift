import COpenSSL
import Testing
@testable import HTTPServer
import IsolationdTesting

@Suite("TLS over memory BIOs")
struct TLSSessionTests {
    @Test("TLS 1.3: handshake, ALPN http/1.1, data both ways, close_notify both ways")
    func fullConversation() throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        let context = try TLSContext(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
        let server = try TLSSession(context: context)
        let client = try TestTLSClient()
        #expect(!server.isHandshakeComplete)
        #expect(pumpHandshake(client, server) == nil)
        #expect(server.isHandshakeComplete)
        #expect(client.isHandshakeComplete)
        #expect(server.negotiatedALPN == "http/1.1")
        #expect(server.protocolVersion == "TLSv1.3")

        let request = Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        #expect(client.write(request))
        client.takeCiphertext().withUnsafeBytes { server.receive($0) }
        var plaintext: [UInt8] = []
        #expect(try server.readPlaintext(into: &plaintext) == .ok)
        #expect(plaintext == request)
        #expect(try server.readPlaintext(into: &plaintext) == .wantMore)

        // A response larger than one record.
        let response = Array("HTTP/1.1 200 OK\r\n\r\n".utf8) + [UInt8](repeating: 0x61, count: 40_000)
        try server.writePlaintext(response)
        var toClient: [UInt8] = []
        server.takeCiphertext(into: &toClient)
        #expect(!server.hasPendingCiphertext)
        client.receive(toClient)
        #expect(client.read().bytes == response)

        client.shutdown()
        client.takeCiphertext().withUnsafeBytes { server.receive($0) }
        #expect(try server.readPlaintext(into: &plaintext) == .closed)
        #expect(server.isClosedByPeer)
        server.shutdown()
        var closeNotify: [UInt8] = []
        server.takeCiphertext(into: &closeNotify)
        #expect(!closeNotify.isEmpty)
        client.receive(closeNotify)
        #expect(client.read().closed)
        #expect(throws: TLSError.self) { try server.writePlaintext([1]) }
    }

    @Test("records that arrive together are all read, close_notify with them included; a record cut in two waits for its rest")
    func severalRecordsInOneReceive() throws {
        let certificate = try ThrowawayCertificate()
        let context = try TLSContext(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
        let server = try TLSSession(context: context)
        let client = try TestTLSClient()
        #expect(pumpHandshake(client, server) == nil)

        // Two pipelined requests in two records, and the client's close_notify, in one receive.
        let first = Array("GET /a HTTP/1.1\r\nHost: x\r\n\r\n".utf8), second = Array("GET /b HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(client.write(first))
        #expect(client.write(second))
        client.shutdown()
        client.takeCiphertext().withUnsafeBytes { server.receive($0) }
        var plaintext: [UInt8] = []
        #expect(try server.readPlaintext(into: &plaintext) == .ok)
        #expect(plaintext == first + second)
        #expect(server.isClosedByPeer)
        #expect(try server.readPlaintext(into: &plaintext) == .closed)

        // A record delivered in two pieces: nothing until the rest arrives.
        let other = try TLSSession(context: context)
        let peer = try TestTLSClient()
        #expect(pumpHandshake(peer, other) == nil)
        #expect(peer.write(first))
        let record = peer.takeCiphertext()
        var received: [UInt8] = []
        record.prefix(10).withUnsafeBytes { other.receive(UnsafeRawBufferPointer($0)) }
        #expect(try other.readPlaintext(into: &received) == .wantMore)
        record.dropFirst(10).withUnsafeBytes { other.receive(UnsafeRawBufferPointer($0)) }
        #expect(try other.readPlaintext(into: &received) == .ok)
        #expect(received == first)
    }

    @Test("TLS 1.2 is accepted with an ECDHE AEAD cipher")
    func tls12() throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        let context = try TLSContext(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
        let server = try TLSSession(context: context)
        let client = try TestTLSClient(versions: TLS1_2_VERSION...TLS1_2_VERSION)
        #expect(pumpHandshake(client, server) == nil)
        #expect(server.protocolVersion == "TLSv1.2")
        #expect(client.cipherName.hasPrefix("ECDHE-"))
        #expect(client.cipherName.contains("GCM") || client.cipherName.contains("CHACHA20"))
        #expect(server.negotiatedALPN == "http/1.1")
    }

    @Test("a client limited to TLS 1.0/1.1 is refused with OpenSSL's reason")
    func oldVersionsRefused() throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        let context = try TLSContext(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
        let server = try TLSSession(context: context)
        // Security level 0, or OpenSSL 3 would not even let the client offer these versions.
        let client = try TestTLSClient(versions: TLS1_VERSION...TLS1_1_VERSION, cipherList: "DEFAULT:@SECLEVEL=0")
        _ = client.handshake()
        let hello = client.takeCiphertext()
        #expect(!hello.isEmpty, "the client must really offer TLS 1.0/1.1")
        hello.withUnsafeBytes { server.receive($0) }
        var plaintext: [UInt8] = []
        let error = #expect(throws: TLSError.self) { try server.readPlaintext(into: &plaintext) }
        #expect(error?.message.contains("unsupported protocol") == true, "\(error?.message ?? "")")
        #expect(!server.isHandshakeComplete)
        // The alert for the client is queued.
        var alert: [UInt8] = []
        server.takeCiphertext(into: &alert)
        #expect(alert.first == 0x15)
    }

    @Test("plain HTTP on the TLS port is an error, not a crash")
    func plainHTTP() throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        let context = try TLSContext(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
        let server = try TLSSession(context: context)
        let request = Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        request.withUnsafeBytes { server.receive($0) }
        var plaintext: [UInt8] = []
        let error = #expect(throws: TLSError.self) { try server.readPlaintext(into: &plaintext) }
        #expect(error?.message.hasPrefix("TLS handshake failed: error:") == true, "\(error?.message ?? "")")
        // OpenSSL recognises a plain HTTP request ("http request"); older versions say "wrong version number".
        #expect(error.map { $0.message.contains("http request") || $0.message.contains("wrong version number") } == true)
        #expect(plaintext.isEmpty)
    }

    @Test("a damaged record after the handshake is an error")
    func damagedRecord() throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        let context = try TLSContext(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
        let server = try TLSSession(context: context)
        let client = try TestTLSClient()
        #expect(pumpHandshake(client, server) == nil)
        #expect(client.write(Array("hello".utf8)))
        var record = client.takeCiphertext()
        record[record.count - 3] ^= 0x01
        record.withUnsafeBytes { server.receive($0) }
        var plaintext: [UInt8] = []
        #expect(throws: TLSError.self) { try server.readPlaintext(into: &plaintext) }
        #expect(plaintext.isEmpty)
    }

    @Test("ALPN: no offer or only h2 gives no protocol and the handshake still succeeds")
    func alpnWithoutHTTP11() throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        let context = try TLSContext(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
        for offer in [[], ["h2"], ["h2", "http/1.1"]] {
            let server = try TLSSession(context: context)
            let client = try TestTLSClient(alpn: offer)
            #expect(pumpHandshake(client, server) == nil)
            #expect(server.isHandshakeComplete)
            #expect(server.negotiatedALPN == (offer.contains("http/1.1") ? "http/1.1" : nil), "offer \(offer)")
        }
    }

    @Test("writing before the handshake completed throws")
    func writeTooEarly() throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        let context = try TLSContext(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
        let server = try TLSSession(context: context)
        #expect(throws: TLSError.self) { try server.writePlaintext([1, 2, 3]) }
    }

    @Test("bad certificate or key files throw with OpenSSL's message")
    func badFiles() throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        let missing = #expect(throws: TLSError.self) {
            try TLSContext(certificateChainPath: certificate.directory + "/missing.pem", privateKeyPath: certificate.keyPath)
        }
        #expect(missing?.message.contains("missing.pem") == true)
        #expect(missing?.message.contains("error:") == true, "\(missing?.message ?? "")")
        let notACertificate = #expect(throws: TLSError.self) {
            try TLSContext(certificateChainPath: certificate.keyPath, privateKeyPath: certificate.keyPath)
        }
        #expect(notACertificate?.message.contains("certificate") == true)
        let mismatch = #expect(throws: TLSError.self) {
            try TLSContext(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.otherKeyPath)
        }
        #expect(mismatch?.message.hasPrefix("private key does not match") == true || mismatch?.message.contains("key values mismatch") == true,
                "\(mismatch?.message ?? "")")
    }
}
