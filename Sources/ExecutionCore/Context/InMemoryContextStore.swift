import Synchronization
import VisibleLocks

/// The embedded `ContextStore`. Bounded per user and in total; expired contexts are invisible at
/// once and dropped by `removeExpired` (the registry's sweep), or by an insert that would
/// otherwise hit the user's bound.
///
/// Contexts are spread over many small shards by (user, request id), and the per-user counts over
/// their own shards by user id. Why: with one map behind one lock, every request of every user
/// contended on it, and a user with many contexts made the whole map rehash (tens of ms at a few
/// hundred thousand entries) while every loop waited — the POST /v1/contexts benchmark's p99.
/// Sharded, a rehash touches 1/64 of the entries and blocks only requests hashed to that shard.
/// Lock order: a user shard and an entry shard are never held together.
public final class InMemoryContextStore: ContextStore {
    private struct Key: Hashable {
        var userID: String
        var requestID: String
    }

    private struct Entry {
        var context: UserExecutionContext
        var expiresAt: Timestamp
        /// Insertion order, for "oldest first".
        var sequence: UInt64
    }

    private final class EntryShard: Sendable {
        let entries = VisibleMutex([Key: Entry]())
    }

    private final class UserShard: Sendable {
        /// Contexts held per user (expired ones not yet dropped included).
        let counts = VisibleMutex([String: Int]())
    }

    public let maxPerUser: Int
    public let maxTotal: Int
    private let entryShards: [EntryShard]
    private let userShards: [UserShard]
    private let total = Atomic<Int>(0)
    private let sequence = Atomic<UInt64>(0)

    public init(maxPerUser: Int = 100, maxTotal: Int = 100_000) {
        self.maxPerUser = max(1, maxPerUser)
        self.maxTotal = max(1, maxTotal)
        entryShards = (0..<64).map { _ in EntryShard() }
        userShards = (0..<16).map { _ in UserShard() }
    }

    private func entryShard(_ key: Key) -> EntryShard {
        entryShards[Int(UInt(bitPattern: key.hashValue) % UInt(entryShards.count))]
    }

    private func userShard(_ userID: String) -> UserShard {
        userShards[Int(UInt(bitPattern: userID.hashValue) % UInt(userShards.count))]
    }

    public func insert(_ context: UserExecutionContext, expiresAt: Timestamp, now: Timestamp) throws(ContextRegistryError) {
        let key = Key(userID: context.userID, requestID: context.requestID)
        let shard = entryShard(key)
        // Registering the same context again only refreshes its expiry.
        let refreshed = shard.entries.withLock { entries -> Bool in
            guard entries[key] != nil else { return false }
            entries[key]?.expiresAt = expiresAt
            return true
        }
        if refreshed { return }

        if !reserveUserSlot(context.userID) {
            dropExpired(userID: context.userID, now: now)
            guard reserveUserSlot(context.userID) else { throw .userLimitExceeded(limit: maxPerUser) }
        }
        if total.wrappingAdd(1, ordering: .relaxed).newValue > maxTotal {
            total.wrappingSubtract(1, ordering: .relaxed)
            releaseUserSlots(context.userID, count: 1)
            throw .totalLimitExceeded(limit: maxTotal)
        }
        let order = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        let raced = shard.entries.withLock { entries -> Bool in
            if entries[key] != nil {
                entries[key]?.expiresAt = expiresAt
                return true
            }
            entries[key] = Entry(context: context, expiresAt: expiresAt, sequence: order)
            return false
        }
        if raced { // a concurrent insert of the same context won; give back what this one took
            total.wrappingSubtract(1, ordering: .relaxed)
            releaseUserSlots(context.userID, count: 1)
        }
    }

    public func context(requestID: String, userID: String, now: Timestamp) -> UserExecutionContext? {
        let key = Key(userID: userID, requestID: requestID)
        return entryShard(key).entries.withLock { entries in
            guard let entry = entries[key], entry.expiresAt > now else { return nil }
            return entry.context
        }
    }

    public func contexts(userID: String, now: Timestamp) -> [UserExecutionContext] {
        var found: [Entry] = []
        for shard in entryShards {
            shard.entries.withLock { entries in
                for (key, entry) in entries where key.userID == userID && entry.expiresAt > now { found.append(entry) }
            }
        }
        return found.sorted { $0.sequence < $1.sequence }.map(\.context)
    }

    public func remove(requestID: String, userID: String) -> Bool {
        let key = Key(userID: userID, requestID: requestID)
        guard entryShard(key).entries.withLock({ $0.removeValue(forKey: key) }) != nil else { return false }
        total.wrappingSubtract(1, ordering: .relaxed)
        releaseUserSlots(userID, count: 1)
        return true
    }

    public func removeExpired(now: Timestamp) -> Int {
        removeExpired(now: now) { _ in true }
    }

    public func count(userID: String) -> Int {
        userShard(userID).counts.withLock { $0[userID] ?? 0 }
    }

    public var totalCount: Int { total.load(ordering: .relaxed) }

    // MARK: accounting

    private func reserveUserSlot(_ userID: String) -> Bool {
        userShard(userID).counts.withLock { counts in
            let held = counts[userID] ?? 0
            guard held < maxPerUser else { return false }
            counts[userID] = held + 1
            return true
        }
    }

    private func releaseUserSlots(_ userID: String, count: Int) {
        userShard(userID).counts.withLock { counts in
            let left = (counts[userID] ?? 0) - count
            counts[userID] = left > 0 ? left : nil
        }
    }

    /// A user at the bound: drop that user's expired contexts first (a scan, but only then).
    private func dropExpired(userID: String, now: Timestamp) {
        _ = removeExpired(now: now) { $0 == userID }
    }

    /// Drops expired entries of the users `matching` accepts, one shard at a time, then settles
    /// the counts outside the shard locks.
    private func removeExpired(now: Timestamp, matching: (String) -> Bool) -> Int {
        var removedPerUser: [String: Int] = [:]
        for shard in entryShards {
            shard.entries.withLock { entries in
                var expired: [Key] = []
                for (key, entry) in entries where entry.expiresAt <= now && matching(key.userID) { expired.append(key) }
                for key in expired {
                    entries.removeValue(forKey: key)
                    removedPerUser[key.userID, default: 0] += 1
                }
            }
        }
        var removed = 0
        for (userID, count) in removedPerUser {
            releaseUserSlots(userID, count: count)
            removed += count
        }
        total.wrappingSubtract(removed, ordering: .relaxed)
        return removed
    }
}
