import ExecutionCore
import Synchronization

/// The engines' event publisher: forwards every event to the hub and counts terminal events by
/// outcome, so `/metrics` can report runs by outcome without walking every engine. Counts only
/// (no user, run or engine labels).
public final class RunOutcomeCounter: EventPublisher {
    /// The outcome words, in the order of `counts`.
    public static let outcomes = ["completed", "failed", "cancelled", "timed_out"]
    private let hub: any EventPublisher
    private let completed = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let cancelled = Atomic<Int>(0)
    private let timedOut = Atomic<Int>(0)

    public init(forwardingTo hub: any EventPublisher) { self.hub = hub }

    @discardableResult
    public func publish(_ draft: consuming EventDraft) -> PublishedEvent {
        switch draft.type {
        case .agentCompleted: completed.add(1, ordering: .relaxed)
        case .agentError: failed.add(1, ordering: .relaxed)
        case .runCancelled: cancelled.add(1, ordering: .relaxed)
        case .runTimedOut: timedOut.add(1, ordering: .relaxed)
        default: break
        }
        return hub.publish(draft)
    }

    /// Terminal runs so far, by outcome word.
    public var counts: [(outcome: String, count: Int)] {
        [("completed", completed.load(ordering: .relaxed)), ("failed", failed.load(ordering: .relaxed)),
         ("cancelled", cancelled.load(ordering: .relaxed)), ("timed_out", timedOut.load(ordering: .relaxed))]
    }
}
