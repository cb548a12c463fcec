import COpenSSL

/// The few OpenSSL primitives authentication needs: SHA-256, HMAC-SHA256, RSA signature check.
public enum OpenSSLCrypto {
    /// SHA-256 fetched once: without it OpenSSL 3 looks the algorithm up (under a lock) on every
    /// call, and this runs on every request.
    static let sha256 = FetchedDigest()

    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> SHA256Digest {
        bytes.withUnsafeBytes { sha256(buffer: $0) }
    }

    /// SHA-256 of a string's UTF-8.
    public static func sha256(_ text: String) -> SHA256Digest {
        var text = text
        return text.withUTF8 { sha256(buffer: UnsafeRawBufferPointer($0)) }
    }

    static func sha256(buffer: UnsafeRawBufferPointer) -> SHA256Digest {
        var digest = SHA256Digest()
        withUnsafeMutableBytes(of: &digest.storage) { out in
            var length: UInt32 = 0
            // EVP_Digest fails only on allocation failure; the digest then stays all zeros, which
            // matches no configured key (their hashes are checked to be real hex digests).
            _ = EVP_Digest(buffer.baseAddress, buffer.count, out.baseAddress?.assumingMemoryBound(to: UInt8.self),
                           &length, sha256.md, nil)
        }
        return digest
    }

    /// HMAC-SHA256 of `message` under `key` (32 bytes).
    public static func hmacSHA256(key: [UInt8], message: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = key.withUnsafeBytes { k in
            out.withUnsafeMutableBufferPointer { o in
                HMAC(sha256.md, k.baseAddress, Int32(clamping: k.count),
                     message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                     o.baseAddress, &length) != nil
            }
        }
        return ok && length == 32 ? out : []
    }

    /// True when `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of `message` (RS256).
    static func verifyRS256(signature: [UInt8], message: UnsafeRawBufferPointer, key: RSAPublicKey) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, sha256.md, nil, key.pkey) == 1 else { return false }
        return signature.withUnsafeBufferPointer { s in
            EVP_DigestVerify(context, s.baseAddress, s.count,
                             message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1
        }
    }
}

/// A SHA-256 digest as four words: fixed size, no allocation, cheap to bucket by its first word.
public struct SHA256Digest: Sendable, Hashable, CustomStringConvertible {
    var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init() {}

    /// From 64 lowercase or uppercase hex characters; nil otherwise.
    public init?(hex: String) {
        let bytes = Array(hex.utf8)
        guard bytes.count == 64 else { return nil }
        var raw = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            guard let hi = SHA256Digest.nibble(bytes[2 * i]), let lo = SHA256Digest.nibble(bytes[2 * i + 1]) else { return nil }
            raw[i] = hi << 4 | lo
        }
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: raw) }
    }

    /// The first eight bytes as a word: a bucket key that reveals nothing useful about the key.
    var bucket: UInt64 { storage.0 }

    /// Equality whose time does not depend on where two digests differ.
    public func constantTimeEquals(_ other: SHA256Digest) -> Bool {
        var a = storage, b = other.storage
        return withUnsafeBytes(of: &a) { ab in withUnsafeBytes(of: &b) { bb in ConstantTime.equals(ab, bb) } }
    }

    public static func == (a: SHA256Digest, b: SHA256Digest) -> Bool { a.constantTimeEquals(b) }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0); hasher.combine(storage.1); hasher.combine(storage.2); hasher.combine(storage.3)
    }

    public var hex: String {
        var s = storage
        let digits = Array("0123456789abcdef".utf8)
        let out = withUnsafeBytes(of: &s) { raw in raw.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] } }
        return String(decoding: out, as: UTF8.self)
    }
    public var description: String { hex }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}

/// An OpenSSL message digest fetched once.
// @unchecked Sendable: the EVP_MD is immutable once fetched and OpenSSL documents fetched
// algorithm objects as safe to use from any number of threads at once; it is never freed
// (one per process, held for the process's life).
final class FetchedDigest: @unchecked Sendable {
    let md: OpaquePointer?
    init() { md = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256() }
}

/// An RSA public key (EVP_PKEY) for RS256, parsed from PEM once at start.
// @unchecked Sendable: the key is never modified after `init`; OpenSSL allows concurrent
// read-only use of one EVP_PKEY (each verification makes its own EVP_MD_CTX), and it is freed
// only in `deinit`, when no verification can hold it.
public final class RSAPublicKey: @unchecked Sendable {
    let pkey: OpaquePointer
    public let bits: Int

    /// nil when `pem` holds no public key, or not an RSA one.
    public init?(pem: String) {
        var text = pem
        let parsed: OpaquePointer? = text.withUTF8 { utf8 in
            guard let bio = BIO_new_mem_buf(utf8.baseAddress, Int32(clamping: utf8.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        ERR_clear_error()
        guard let parsed else { return nil }
        guard EVP_PKEY_get_base_id(parsed) == EVP_PKEY_RSA else {
            EVP_PKEY_free(parsed)
            return nil
        }
        pkey = parsed
        bits = Int(EVP_PKEY_get_bits(parsed))
    }

    deinit { EVP_PKEY_free(pkey) }
}
