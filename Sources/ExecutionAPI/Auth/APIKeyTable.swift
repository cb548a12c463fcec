/// The configured API keys, looked up by the SHA-256 of the presented key.
///
/// Lookup hashes the presented key once, finds candidates by the digest's first eight bytes (a
/// dictionary probe that can reveal nothing usable about any key: it works on a hash), then
/// compares the whole digest in constant time. Nothing about presented keys is cached.
struct APIKeyTable: Sendable {
    private struct Entry: Sendable {
        var digest: SHA256Digest
        var principal: Principal
    }

    private let buckets: [UInt64: [Entry]]
    var isEmpty: Bool { buckets.isEmpty }

    /// `keys` are validated by the configuration (hex digests, no repeats).
    init(keys: [AuthSettings.APIKey]) {
        var buckets: [UInt64: [Entry]] = [:]
        for key in keys {
            guard let digest = SHA256Digest(hex: key.sha256) else { continue }
            buckets[digest.bucket, default: []].append(Entry(digest: digest, principal: Principal(userID: key.userID, roles: key.roles)))
        }
        self.buckets = buckets
    }

    /// The principal of the key whose bytes are `key`, nil when no configured key matches.
    func principal(forKey key: UnsafeRawBufferPointer) -> Principal? {
        let digest = OpenSSLCrypto.sha256(buffer: key)
        guard let candidates = buckets[digest.bucket] else { return nil }
        var found: Principal?
        for entry in candidates where entry.digest.constantTimeEquals(digest) { found = entry.principal }
        return found
    }
}
