import Synchronization
import VisibleLocks

/// The embedded idempotency store: per-user maps spread over lock shards (users never contend with most others), entries expire after
/// `ttl`, and each user holds at most `maxKeysPerUser` keys (the oldest is evicted first), so
/// memory is bounded whatever clients send.
///
/// With a ledger, each entry is charged to its user: key and fingerprint (plus overhead) when
/// `begin` reserves it — refused past the budget, before the request runs — and the stored
/// answer when `complete` keeps it. The answer is charged whatever the budget says: the request
/// has already been carried out, and forgetting its answer would let a retry do it twice; it is
/// bounded by the route's response size and `maxKeysPerUser`. Every way an entry goes (release,
/// eviction, expiry, a key reused after expiry) gives its charge back.
public final class InMemoryIdempotencyStore: IdempotencyStore {
    private struct Entry {
        var fingerprint: [UInt8]
        var payload: [UInt8]?   // nil while in progress
        var expiresAt: Timestamp
        var sequence: UInt64    // insertion order, for eviction
        var charged: Int
    }
    private struct UserEntries {
        var entries: [String: Entry] = [:]
    }
    private struct State {
        var users: [String: UserEntries] = [:]
        var nextSequence: UInt64 = 0
        var total = 0
    }

    /// Mutex is non-copyable, so each shard's lock lives in a small final class.
    private final class Shard: Sendable {
        let state = VisibleMutex(State())
    }
    private let shards: [Shard]
    public let ttl: Duration
    public let maxKeysPerUser: Int
    private let ledger: RetainedBytesLedger?

    public init(ttl: Duration = .seconds(86_400), maxKeysPerUser: Int = 1000, shardCount: Int = 16,
                ledger: RetainedBytesLedger? = nil) {
        self.ttl = ttl
        self.maxKeysPerUser = max(1, maxKeysPerUser)
        self.ledger = ledger
        shards = (0..<max(1, shardCount)).map { _ in Shard() }
    }

    private func shard(for userID: String) -> Shard {
        shards[Int(UInt(bitPattern: userID.hashValue) % UInt(shards.count))]
    }

    public func begin(userID: String, key: String, fingerprint: [UInt8], now: Timestamp,
                      completion: @escaping @Sendable (IdempotencyDecision) -> Void) {
        completion(begin(userID: userID, key: key, fingerprint: fingerprint, now: now))
    }

    public func begin(userID: String, key: String, fingerprint: [UInt8], now: Timestamp) -> IdempotencyDecision {
        var released = 0
        var releasedItems = 0
        defer { if releasedItems > 0 { ledger?.release(userID, .idempotency, bytes: released, items: releasedItems) } }
        return shard(for: userID).state.withLock { state -> IdempotencyDecision in
            if let existing = state.users[userID]?.entries[key], existing.expiresAt > now {
                guard existing.fingerprint == fingerprint else { return .fingerprintMismatch }
                if let payload = existing.payload { return .replay(payload: payload) }
                return .inProgress
            }
            // Taken out of the map, not copied from it: a copy would duplicate the user's whole
            // table on its first change (every keyed request paid O(keys): 10x slower at 10k keys).
            var user = state.users.removeValue(forKey: userID) ?? UserEntries()
            func forget(_ entry: Entry) {
                state.total -= 1
                released += entry.charged
                releasedItems += 1
            }
            if let expired = user.entries.removeValue(forKey: key) { forget(expired) }
            if user.entries.count >= maxKeysPerUser {
                // Evict expired entries first, then the oldest.
                for (old, entry) in user.entries where entry.expiresAt <= now {
                    user.entries.removeValue(forKey: old)
                    forget(entry)
                }
                if user.entries.count >= maxKeysPerUser,
                   let oldest = user.entries.min(by: { $0.value.sequence < $1.value.sequence })?.key,
                   let entry = user.entries.removeValue(forKey: oldest) {
                    forget(entry)
                }
            }
            let charged = ledger == nil ? 0 : RetainedSize.idempotencyOverhead + key.utf8.count + fingerprint.count
            if let refusal = ledger?.charge(userID, .idempotency, bytes: charged) {
                state.users[userID] = user.entries.isEmpty ? nil : user
                return .budgetExceeded(refusal)
            }
            state.nextSequence += 1
            user.entries[key] = Entry(fingerprint: fingerprint, payload: nil, expiresAt: now + ttl,
                                      sequence: state.nextSequence, charged: charged)
            state.total += 1
            state.users[userID] = user
            return .proceed
        }
    }

    public func complete(userID: String, key: String, payload: [UInt8], now: Timestamp,
                         stored: @escaping @Sendable () -> Void) {
        complete(userID: userID, key: key, payload: payload, now: now)
        stored()
    }

    public func complete(userID: String, key: String, payload: [UInt8], now: Timestamp) {
        shard(for: userID).state.withLock { state in
            guard var entry = state.users[userID]?.entries[key] else { return }
            if let ledger {
                let grown = payload.count - (entry.payload?.count ?? 0)
                if grown > 0 { ledger.forceCharge(userID, .idempotency, bytes: grown, items: 0) }
                if grown < 0 { ledger.release(userID, .idempotency, bytes: -grown, items: 0) }
                entry.charged += grown
            }
            entry.payload = payload
            entry.expiresAt = now + ttl
            state.users[userID]?.entries[key] = entry
        }
    }

    public func release(userID: String, key: String) {
        let entry = shard(for: userID).state.withLock { state -> Entry? in
            guard let entry = state.users[userID]?.entries.removeValue(forKey: key) else { return nil }
            state.total -= 1
            if state.users[userID]?.entries.isEmpty == true { state.users[userID] = nil }
            return entry
        }
        if let entry { ledger?.release(userID, .idempotency, bytes: entry.charged) }
    }

    @discardableResult
    public func sweep(now: Timestamp) -> Int {
        var removed = 0
        var releases: [(userID: String, bytes: Int, items: Int)] = []
        for shard in shards {
            shard.state.withLock { state in
                for (userID, user) in state.users {
                    let kept = user.entries.filter { $0.value.expiresAt > now || $0.value.payload == nil }
                    let gone = user.entries.count - kept.count
                    guard gone > 0 else { continue }
                    removed += gone
                    state.total -= gone
                    let bytes = user.entries.values.reduce(0) { $0 + $1.charged } - kept.values.reduce(0) { $0 + $1.charged }
                    releases.append((userID, bytes, gone))
                    state.users[userID] = kept.isEmpty ? nil : UserEntries(entries: kept)
                }
            }
        }
        for release in releases { ledger?.release(release.userID, .idempotency, bytes: release.bytes, items: release.items) }
        return removed
    }

    public var count: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.total } } }
}
