import Synchronization
@testable import ExecutionCore

func draft(user: String = "alice", thread: String = "thread-1", run: String = "run-1", execution: String = "exec-1",
           type: EventType = .agentThinking, data: JSONValue = .object(["step": .integer(1)]),
           at timestamp: Timestamp = Timestamp(nanoseconds: 1_764_142_043_123_000_000)) -> EventDraft {
    EventDraft(type: type,
               identity: EventIdentity(userID: user, threadID: thread, runID: run, requestID: "req-\(user)", engineID: "engine-\(user)"),
               executionID: execution, agent: "echo", timestamp: timestamp, data: data)
}

/// Counts wake calls (the publisher's signal to a consumer).
final class WakeCounter: Sendable {
    let count = Atomic<Int>(0)
    var wake: @Sendable () -> Void { { [self] in self.count.add(1, ordering: .relaxed) } }
    var value: Int { count.load(ordering: .relaxed) }
}

/// A clock tests move by hand; `sleep` is not used by the hub.
final class TestClock: ExecutionClock {
    let current: VisibleMutex<Timestamp>
    init(_ start: Timestamp = Timestamp(nanoseconds: 1_700_000_000_000_000_000)) { current = VisibleMutex(start) }
    func now() -> Timestamp { current.withLock { $0 } }
    func advance(_ duration: Duration) { current.withLock { $0 = $0 + duration } }
    func sleep(until deadline: Timestamp) async throws {
        while now() < deadline { try await Task.sleep(for: .milliseconds(1)) }
    }
}

extension EventSubscription {
    /// Everything waiting now, across batches.
    func drain() -> (gap: EventGap?, ids: [UInt64], termination: SubscriptionTermination?) {
        var gap: EventGap?
        var ids: [UInt64] = []
        var termination: SubscriptionTermination?
        for _ in 0..<10_000 {
            let batch = next(maxEvents: 512)
            if let g = batch.gap { gap = g }
            ids += batch.events.map(\.id)
            termination = batch.termination ?? termination
            if !batch.hasMore { break }
        }
        return (gap, ids, termination)
    }
}
