import Synchronization
import VisibleLocks

/// The embedded `ContextStore`. Bounded per user and in total; expired contexts are invisible at
/// once and dropped by `removeExpired` (the registry's sweep), or by an insert that would
/// otherwise hit the user's bound.
///
/// Contexts are spread over many small shards by (user, request id), and the per-user counts (with
/// each user's listing keys, `RecencyOrder`) over
/// their own shards by user id. Why: with one map behind one lock, every request of every user
/// contended on it, and a user with many contexts made the whole map rehash (tens of ms at a few
/// hundred thousand entries) while every loop waited — the POST /v1/contexts benchmark's p99.
/// Sharded, a rehash touches 1/64 of the entries and blocks only requests hashed to that shard.
/// Lock order: a user shard and an entry shard are never held together.
public final class InMemoryContextStore: SynchronousContextStore {
    private struct Key: Hashable {
        var userID: String
        var requestID: String
    }

    private struct Entry {
        var context: UserExecutionContext
        var expiresAt: Timestamp
        /// Insertion order, for "oldest first".
        var sequence: UInt64
        /// What the ledger was charged for it (released with it).
        var charged: Int
    }

    private final class EntryShard: Sendable {
        let entries = VisibleMutex([Key: Entry]())
    }

    /// What a user holds: how many contexts (expired ones not yet dropped included), and their
    /// keys in creation order for the user's newest-first list.
    private struct Holdings {
        var count = 0
        var order = RecencyOrder<Void>()

        mutating func take(_ key: ListingKey) {
            count += 1
            order.insert(key, ())
        }

        /// One slot per key, or one slot and no key for a raced duplicate insert (`keys` empty).
        mutating func release(_ keys: [ListingKey]) {
            count -= max(1, keys.count)
            for key in keys { order.remove(key) }
        }
    }

    private final class UserShard: Sendable {
        let holdings = VisibleMutex([String: Holdings]())
    }

    public let maxPerUser: Int
    public let maxTotal: Int
    private let entryShards: [EntryShard]
    private let userShards: [UserShard]
    private let total = Atomic<Int>(0)
    private let sequence = Atomic<UInt64>(0)
    /// Charged for each kept context (`RetainedSize.of`); nil keeps no account.
    private let ledger: RetainedBytesLedger?

    public init(maxPerUser: Int = 100, maxTotal: Int = 100_000, ledger: RetainedBytesLedger? = nil) {
        self.maxPerUser = max(1, maxPerUser)
        self.maxTotal = max(1, maxTotal)
        self.ledger = ledger
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

        // The slot and the listing key are taken together, under the one user-shard lock the
        // bound needs anyway: listing adds no lock to this path.
        let listed = ListingKey(createdAt: context.createdAt, id: context.requestID)
        if !reserveUserSlot(context.userID, listed) {
            dropExpired(userID: context.userID, now: now)
            guard reserveUserSlot(context.userID, listed) else { throw .userLimitExceeded(limit: maxPerUser) }
        }
        if total.wrappingAdd(1, ordering: .relaxed).newValue > maxTotal {
            total.wrappingSubtract(1, ordering: .relaxed)
            releaseUserSlots(context.userID, keys: [listed])
            throw .totalLimitExceeded(limit: maxTotal)
        }
        let charged = ledger == nil ? 0 : RetainedSize.of(context)
        if let refusal = ledger?.charge(context.userID, .contexts, bytes: charged) {
            total.wrappingSubtract(1, ordering: .relaxed)
            releaseUserSlots(context.userID, keys: [listed])
            throw .budgetExceeded(refusal)
        }
        let order = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        let raced = shard.entries.withLock { entries -> Bool in
            if entries[key] != nil {
                entries[key]?.expiresAt = expiresAt
                return true
            }
            entries[key] = Entry(context: context, expiresAt: expiresAt, sequence: order, charged: charged)
            return false
        }
        if raced { // a concurrent insert of the same context won; give back what this one took
            // (the slot only: the listing key is the same key, and the winner's)
            total.wrappingSubtract(1, ordering: .relaxed)
            releaseUserSlots(context.userID, keys: [])
            ledger?.release(context.userID, .contexts, bytes: charged)
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

    /// Seeks the user's keys (one shard, a binary search) and reads only the page's contexts: the
    /// cost of a page does not grow with the pages before it. Expired contexts not yet swept are
    /// skipped, so a page is read in batches until it is full or the user's keys run out.
    public func contexts(userID: String, now: Timestamp, before: ListingKey?, limit: Int) -> [UserExecutionContext] {
        var found: [UserExecutionContext] = []
        var cursor = before
        while found.count < limit {
            let wanted = limit - found.count
            let keys = userShard(userID).holdings.withLock { $0[userID]?.order.newest(before: cursor, limit: wanted) ?? [] }
            for entry in keys {
                if let context = context(requestID: entry.key.id, userID: userID, now: now) { found.append(context) }
            }
            guard keys.count == wanted, let last = keys.last else { break }
            cursor = last.key
        }
        return found
    }

    public func remove(requestID: String, userID: String) -> Bool {
        let key = Key(userID: userID, requestID: requestID)
        guard let removed = entryShard(key).entries.withLock({ $0.removeValue(forKey: key) }) else { return false }
        total.wrappingSubtract(1, ordering: .relaxed)
        releaseUserSlots(userID, keys: [ListingKey(createdAt: removed.context.createdAt, id: requestID)])
        ledger?.release(userID, .contexts, bytes: removed.charged)
        return true
    }

    public func removeExpired(now: Timestamp) -> Int {
        removeExpired(now: now) { _ in true }
    }

    public func count(userID: String) -> Int {
        userShard(userID).holdings.withLock { $0[userID]?.count ?? 0 }
    }

    public var totalCount: Int { total.load(ordering: .relaxed) }

    // MARK: accounting

    /// Takes one of the user's slots and lists `key`; false at the user's bound.
    private func reserveUserSlot(_ userID: String, _ key: ListingKey) -> Bool {
        userShard(userID).holdings.withLock { holdings in
            guard (holdings[userID]?.count ?? 0) < maxPerUser else { return false }
            holdings[userID, default: Holdings()].take(key)
            return true
        }
    }

    /// Gives back the slots of `keys` and unlists them (`Holdings.release`); mutated in place,
    /// so the user's key array is never copied.
    private func releaseUserSlots(_ userID: String, keys: [ListingKey]) {
        userShard(userID).holdings.withLock { holdings in
            holdings[userID]?.release(keys)
            if let left = holdings[userID]?.count, left <= 0 { holdings[userID] = nil }
        }
    }

    /// A user at the bound: drop that user's expired contexts first (a scan, but only then).
    private func dropExpired(userID: String, now: Timestamp) {
        _ = removeExpired(now: now) { $0 == userID }
    }

    /// Drops expired entries of the users `matching` accepts, one shard at a time, then settles
    /// the counts outside the shard locks.
    private func removeExpired(now: Timestamp, matching: (String) -> Bool) -> Int {
        var removedPerUser: [String: [ListingKey]] = [:]
        var chargedPerUser: [String: Int] = [:]
        for shard in entryShards {
            shard.entries.withLock { entries in
                var expired: [Key] = []
                for (key, entry) in entries where entry.expiresAt <= now && matching(key.userID) { expired.append(key) }
                for key in expired {
                    guard let entry = entries.removeValue(forKey: key) else { continue }
                    removedPerUser[key.userID, default: []].append(ListingKey(createdAt: entry.context.createdAt, id: key.requestID))
                    chargedPerUser[key.userID, default: 0] += entry.charged
                }
            }
        }
        var removed = 0
        for (userID, keys) in removedPerUser {
            releaseUserSlots(userID, keys: keys)
            ledger?.release(userID, .contexts, bytes: chargedPerUser[userID] ?? 0, items: keys.count)
            removed += keys.count
        }
        total.wrappingSubtract(removed, ordering: .relaxed)
        return removed
    }
}
