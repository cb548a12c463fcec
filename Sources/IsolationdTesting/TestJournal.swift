import ExecutionCore
import VisibleLocks

/// An event journal held in this process for the hub's tests: it numbers each user's events from
/// a counter, keeps them, answers reads like the PostgreSQL journal (newest `limit` after a
/// cursor, oldest first, with the user's last id) and tells every follower of each append. Its
/// completions run when `release` is called if `holding` is set, so tests can order them.
public final class TestJournal: EventJournal {
    private struct Stored {
        var id: UInt64
        var envelope: EventEnvelope
    }
    private struct State {
        var lastIDs: [String: UInt64] = [:]
        var events: [String: [Stored]] = [:]
        var followers: [(appended: @Sendable (String, UInt64, Timestamp?) -> Void, resynchronize: @Sendable () -> Void)] = []
        var held: [@Sendable () -> Void] = []
        var holding = false
        var failing = false
        /// Appends tell no follower (a wake-up lost on the way).
        var silent = false
        var reads = 0
        var batchSizes: [Int] = []
    }
    private let state = VisibleMutex(State())

    public init() {}

    public var holding: Bool {
        get { state.withLock { $0.holding } }
        set { state.withLock { $0.holding = newValue } }
    }
    public var failing: Bool {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }
    public var silent: Bool {
        get { state.withLock { $0.silent } }
        set { state.withLock { $0.silent = newValue } }
    }
    public var batchSizes: [Int] { state.withLock { $0.batchSizes } }
    public var reads: Int { state.withLock { $0.reads } }

    /// Runs the completions held so far, oldest first (or newest first), and those they cause.
    public func release(newestFirst: Bool = false) {
        while true {
            let held = state.withLock { state -> [@Sendable () -> Void] in
                defer { state.held.removeAll() }
                return state.held
            }
            if held.isEmpty { return }
            for completion in newestFirst ? held.reversed() : held { completion() }
        }
    }

    /// Runs only the oldest completion held (none: false), so a test can look between two.
    public func releaseOldest() -> Bool {
        let oldest = state.withLock { state -> (@Sendable () -> Void)? in
            state.held.isEmpty ? nil : state.held.removeFirst()
        }
        oldest?()
        return oldest != nil
    }

    private func run(_ completion: @escaping @Sendable () -> Void) {
        let hold = state.withLock { state -> Bool in
            if state.holding { state.held.append(completion) }
            return state.holding
        }
        if !hold { completion() }
    }

    /// The batch is numbered and stored when its completion runs (held or not): like a
    /// commit, nothing of it is readable before.
    public func append(_ batch: [JournalEntry], completion: @escaping @Sendable (Result<[UInt64], JournalError>) -> Void) {
        run { [self] in
            let outcome = state.withLock { state -> (Result<[UInt64], JournalError>, [(String, UInt64)]) in
                if state.failing { return (.failure(JournalError("down")), []) }
                state.batchSizes.append(batch.count)
                var ids: [UInt64] = []
                var newest: [String: UInt64] = [:]
                for entry in batch {
                    let user = entry.envelope.identity.userID
                    let id = (state.lastIDs[user] ?? 0) + 1
                    state.lastIDs[user] = id
                    state.events[user, default: []].append(Stored(id: id, envelope: entry.envelope))
                    ids.append(id)
                    newest[user] = id
                }
                return (.success(ids), state.silent ? [] : newest.map { ($0.key, $0.value) })
            }
            let followers = state.withLock { $0.followers }
            completion(outcome.0)
            for (user, last) in outcome.1 { for follower in followers { follower.appended(user, last, nil) } }
        }
    }

    public func read(userID: String, after: UInt64, limit: Int, executionID: String?, completion: @escaping @Sendable (Result<JournalPage, JournalError>) -> Void) {
        run { [self] in
            let result = state.withLock { state -> Result<JournalPage, JournalError> in
                state.reads += 1
                if state.failing { return .failure(JournalError("down")) }
                let matching = (state.events[userID] ?? [])
                    .filter { $0.id > after && (executionID == nil || $0.envelope.executionID == executionID) }.suffix(limit)
                let events = matching.map { stored in
                    PublishedEvent.restored(id: stored.id, type: stored.envelope.type, identity: stored.envelope.identity,
                                            executionID: stored.envelope.executionID, agent: stored.envelope.agent,
                                            timestamp: stored.envelope.timestamp, body: stored.envelope.json)
                }
                return .success(JournalPage(events: Array(events), lastID: state.lastIDs[userID] ?? 0))
            }
            completion(result)
        }
    }

    public func follow(appended: @escaping @Sendable (String, UInt64, Timestamp?) -> Void, resynchronize: @escaping @Sendable () -> Void) {
        state.withLock { $0.followers.append((appended, resynchronize)) }
    }

    /// Tells every follower to reread (a wake-up connection came back).
    public func resynchronizeAll() {
        for follower in state.withLock({ $0.followers }) { follower.resynchronize() }
    }

    public func findRun(id executionID: String, userID: String, completion: @escaping @Sendable (Result<RunSnapshot?, JournalError>) -> Void) {
        completion(.success(nil))
    }

    /// Forgets a user's stored events up to `id` (retention), keeping the counter.
    public func deleteEvents(of userID: String, through id: UInt64) {
        state.withLock { $0.events[userID]?.removeAll { $0.id <= id } }
    }
}
