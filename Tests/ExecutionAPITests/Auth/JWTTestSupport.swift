import COpenSSL
@testable import ExecutionAPI
import ExecutionCore
import Foundation
import IsolationdTesting

/// Builds signed JWTs the way an identity provider would, with OpenSSL directly.
enum TestJWT {
    static func token(header: JSONValue, claims: JSONValue, sign: ([UInt8]) -> [UInt8]) -> String {
        let signingInput = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(claims.serialized())
        return signingInput + "." + Base64URL.encode(sign(Array(signingInput.utf8)))
    }

    static func hs256(_ claims: JSONValue, secret: String, alg: String = "HS256") -> String {
        token(header: .object(["alg": .string(alg), "typ": .string("JWT")]), claims: claims) { input in
            input.withUnsafeBytes { OpenSSLCrypto.hmacSHA256(key: Array(secret.utf8), message: $0) }
        }
    }

    static func rs256(_ claims: JSONValue, privateKeyPEM: String) -> String {
        token(header: .object(["alg": .string("RS256"), "typ": .string("JWT")]), claims: claims) { input in
            signRS256(input, privateKeyPEM: privateKeyPEM)
        }
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256; empty on any failure (the verification then fails).
    static func signRS256(_ message: [UInt8], privateKeyPEM: String) -> [UInt8] {
        let bytes = Array(privateKeyPEM.utf8)
        guard let bio = bytes.withUnsafeBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else { return [] }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else { return [] }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return [] }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else { return [] }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { return [] }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { return [] }
        return Array(signature[0..<length])
    }
}

/// A key pair made with the `openssl` command line in a temporary directory, which is removed
/// once the keys are read: tests that need the public key as a file get one for the length of
/// a closure (`withPublicKeyFile`), so nothing is left in /tmp.
struct GeneratedKey: Sendable {
    var privatePEM: String
    var publicPEM: String

    enum Failure: Error { case openssl(String) }

    /// `algorithm` options as `openssl genpkey` takes them.
    static func generate(_ options: [String] = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]) throws -> GeneratedKey {
        try withTemporaryDirectory { directory in
            let privatePath = directory.appendingPathComponent("private.pem").path
            let publicPath = directory.appendingPathComponent("public.pem").path
            try run(["genpkey"] + options + ["-out", privatePath])
            try run(["pkey", "-in", privatePath, "-pubout", "-out", publicPath])
            return GeneratedKey(privatePEM: try String(contentsOfFile: privatePath, encoding: .utf8),
                                publicPEM: try String(contentsOfFile: publicPath, encoding: .utf8))
        }
    }

    /// Runs `body` with the path of a file holding the public key; the file is gone afterwards.
    func withPublicKeyFile<T>(_ body: (String) throws -> T) throws -> T {
        try Self.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("public.pem").path
            try publicPEM.write(toFile: path, atomically: false, encoding: .utf8)
            return try body(path)
        }
    }

    private static func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("isolationd-jwt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    private static func run(_ arguments: [String]) throws {
        let result = try ExternalCommand.run(["openssl"] + arguments)
        guard result.status == 0 else { throw Failure.openssl(arguments.joined(separator: " ") + ": " + result.stderr) }
    }

    /// Generated once per test process: RSA generation takes a moment.
    static let rsa: Result<GeneratedKey, any Error> = Result { try generate() }
    static let otherRSA: Result<GeneratedKey, any Error> = Result { try generate() }
}

/// A clock standing still at `time` (token expiry is checked against it).
struct FixedClock: ExecutionClock {
    var time: Timestamp
    func now() -> Timestamp { time }
    func sleep(until deadline: Timestamp) async throws {}
}
