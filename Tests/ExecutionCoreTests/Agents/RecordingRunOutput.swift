#if canImport(Glibc)
import Glibc
#endif
import Synchronization
@testable import ExecutionCore
import Platform
import VisibleLocks

/// The receiving side of a run as a test sees it: every progress event and the outcome, in
/// order, with a bounded wait for the end. (The engine's real output publishes to the hub; this
/// one records, so tests can look at exactly what an agent reported.)
final class RecordingRunOutput: AgentRunOutput {
    struct State {
        var progress: [(type: EventType, data: JSONValue)] = []
        var outcome: AgentOutcome?
        var finishCalls = 0
        var firstProgressAt: Int64?
    }

    let state = VisibleMutex(State())

    func progress(_ type: EventType, data: JSONValue) {
        let now = monotonicNanoseconds()
        state.withLock {
            if $0.firstProgressAt == nil { $0.firstProgressAt = now }
            if $0.outcome == nil { $0.progress.append((type, data)) }
        }
    }

    func finish(_ outcome: AgentOutcome) {
        state.withLock {
            $0.finishCalls += 1
            if $0.outcome == nil { $0.outcome = outcome }
        }
    }

    var outcome: AgentOutcome? { state.withLock { $0.outcome } }
    var progressTypes: [EventType] { state.withLock { $0.progress.map(\.type) } }
    var progressData: [JSONValue] { state.withLock { $0.progress.map(\.data) } }

    /// Waits (polling, bounded) for the outcome; nil if it did not come within `timeout`.
    func waitForOutcome(timeout: Duration = .seconds(30)) async -> AgentOutcome? {
        let deadline = monotonicNanoseconds() + timeout.nanoseconds
        while monotonicNanoseconds() < deadline {
            if let outcome { return outcome }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return outcome
    }

    /// Waits (bounded) until at least `count` progress events arrived.
    func waitForProgress(count: Int, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = monotonicNanoseconds() + timeout.nanoseconds
        while monotonicNanoseconds() < deadline {
            if state.withLock({ $0.progress.count }) >= count { return true }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return false
    }

    /// The failure kind, or "completed".
    var outcomeKind: String? {
        switch outcome {
        case .completed?: "completed"
        case .failed(let kind, _)?: kind
        case nil: nil
        }
    }
}

/// The platform's monotonic clock as a signed count, for arithmetic with `Duration.nanoseconds`.
func monotonicNanoseconds() -> Int64 {
    Int64(MonotonicClock.now())
}

func makeRequest(agent: String = "test", input: JSONValue = .object([:]),
                 context: JSONValue = .object(["user_id": .string("alice"), "thread_id": .string("t-1")]),
                 userID: String = "") -> AgentRunRequest {
    AgentRunRequest(executionID: RandomIdentifier.uuid(), agent: agent, context: context, input: input, userID: userID)
}
