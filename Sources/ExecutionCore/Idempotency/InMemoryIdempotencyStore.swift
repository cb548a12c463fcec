import Synchronization
import VisibleLocks

/// The embedded idempotency store: per-user maps spread over lock shards (users never contend with most others), entries expire after
/// `ttl`, and each user holds at most `maxKeysPerUser` keys (the oldest is evicted first), so
/// memory is bounded whatever clients send.
public final class InMemoryIdempotencyStore: IdempotencyStore {
    private struct Entry {
        var fingerprint: [UInt8]
        var payload: [UInt8]?   // nil while in progress
        var expiresAt: Timestamp
        var sequence: UInt64    // insertion order, for eviction
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

    public init(ttl: Duration = .seconds(86_400), maxKeysPerUser: Int = 1000, shardCount: Int = 16) {
        self.ttl = ttl
        self.maxKeysPerUser = max(1, maxKeysPerUser)
        shards = (0..<max(1, shardCount)).map { _ in Shard() }
    }

    private func shard(for userID: String) -> Shard {
        shards[Int(UInt(bitPattern: userID.hashValue) % UInt(shards.count))]
    }

    public func begin(userID: String, key: String, fingerprint: [UInt8], now: Timestamp) -> IdempotencyDecision {
        shard(for: userID).state.withLock { state in
            if let existing = state.users[userID]?.entries[key], existing.expiresAt > now {
                guard existing.fingerprint == fingerprint else { return .fingerprintMismatch }
                if let payload = existing.payload { return .replay(payload: payload) }
                return .inProgress
            }
            var user = state.users[userID] ?? UserEntries()
            if user.entries.removeValue(forKey: key) != nil { state.total -= 1 }
            if user.entries.count >= maxKeysPerUser {
                // Evict expired entries first, then the oldest.
                let before = user.entries.count
                user.entries = user.entries.filter { $0.value.expiresAt > now }
                if user.entries.count >= maxKeysPerUser,
                   let oldest = user.entries.min(by: { $0.value.sequence < $1.value.sequence })?.key {
                    user.entries.removeValue(forKey: oldest)
                }
                state.total -= before - user.entries.count
            }
            state.nextSequence += 1
            user.entries[key] = Entry(fingerprint: fingerprint, payload: nil, expiresAt: now + ttl,
                                      sequence: state.nextSequence)
            state.total += 1
            state.users[userID] = user
            return .proceed
        }
    }

    public func complete(userID: String, key: String, payload: [UInt8], now: Timestamp) {
        shard(for: userID).state.withLock { state in
            guard var entry = state.users[userID]?.entries[key] else { return }
            entry.payload = payload
            entry.expiresAt = now + ttl
            state.users[userID]?.entries[key] = entry
        }
    }

    public func release(userID: String, key: String) {
        shard(for: userID).state.withLock { state in
            guard state.users[userID]?.entries.removeValue(forKey: key) != nil else { return }
            state.total -= 1
            if state.users[userID]?.entries.isEmpty == true { state.users[userID] = nil }
        }
    }

    @discardableResult
    public func sweep(now: Timestamp) -> Int {
        var removed = 0
        for shard in shards {
            shard.state.withLock { state in
                for (userID, user) in state.users {
                    let kept = user.entries.filter { $0.value.expiresAt > now || $0.value.payload == nil }
                    removed += user.entries.count - kept.count
                    state.total -= user.entries.count - kept.count
                    state.users[userID] = kept.isEmpty ? nil : UserEntries(entries: kept)
                }
            }
        }
        return removed
    }

    public var count: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.total } } }
}
