import Synchronization
import VisibleLocks

/// The embedded `ContextStore`: per-user buckets behind one short lock. Bounded per user and in
/// total; expired contexts are invisible at once and dropped by `removeExpired` (the registry's
/// sweep), or by an insert that would otherwise hit the user's bound.
public final class InMemoryContextStore: ContextStore {
    private struct Entry {
        var context: UserExecutionContext
        var expiresAt: Timestamp
        /// Insertion order, for "oldest first".
        var sequence: UInt64
    }

    private struct State {
        var users: [String: [String: Entry]] = [:]
        var total = 0
        var sequence: UInt64 = 0

        mutating func dropExpired(userID: String, now: Timestamp) {
            guard var bucket = users[userID] else { return }
            let before = bucket.count
            bucket = bucket.filter { $0.value.expiresAt > now }
            total -= before - bucket.count
            users[userID] = bucket.isEmpty ? nil : bucket
        }
    }

    public let maxPerUser: Int
    public let maxTotal: Int
    private let state = VisibleMutex(State())

    public init(maxPerUser: Int = 100, maxTotal: Int = 100_000) {
        self.maxPerUser = max(1, maxPerUser)
        self.maxTotal = max(1, maxTotal)
    }

    public func insert(_ context: UserExecutionContext, expiresAt: Timestamp, now: Timestamp) throws(ContextRegistryError) {
        let refusal: ContextRegistryError? = state.withLock { state in
            if state.users[context.userID]?[context.requestID] != nil {
                state.users[context.userID]?[context.requestID]?.expiresAt = expiresAt
                return nil
            }
            if (state.users[context.userID]?.count ?? 0) >= maxPerUser {
                state.dropExpired(userID: context.userID, now: now)
                if (state.users[context.userID]?.count ?? 0) >= maxPerUser { return .userLimitExceeded(limit: maxPerUser) }
            }
            if state.total >= maxTotal { return .totalLimitExceeded(limit: maxTotal) }
            state.sequence &+= 1
            state.users[context.userID, default: [:]][context.requestID] =
                Entry(context: context, expiresAt: expiresAt, sequence: state.sequence)
            state.total += 1
            return nil
        }
        if let refusal { throw refusal }
    }

    public func context(requestID: String, userID: String, now: Timestamp) -> UserExecutionContext? {
        state.withLock { state in
            guard let entry = state.users[userID]?[requestID], entry.expiresAt > now else { return nil }
            return entry.context
        }
    }

    public func contexts(userID: String, now: Timestamp) -> [UserExecutionContext] {
        state.withLock { state in
            (state.users[userID] ?? [:]).values
                .filter { $0.expiresAt > now }
                .sorted { $0.sequence < $1.sequence }
                .map(\.context)
        }
    }

    public func remove(requestID: String, userID: String) -> Bool {
        state.withLock { state in
            guard state.users[userID]?.removeValue(forKey: requestID) != nil else { return false }
            state.total -= 1
            if state.users[userID]?.isEmpty == true { state.users[userID] = nil }
            return true
        }
    }

    public func removeExpired(now: Timestamp) -> Int {
        state.withLock { state in
            let before = state.total
            for userID in Array(state.users.keys) { state.dropExpired(userID: userID, now: now) }
            return before - state.total
        }
    }

    public func count(userID: String) -> Int { state.withLock { $0.users[userID]?.count ?? 0 } }

    public var totalCount: Int { state.withLock { $0.total } }
}
