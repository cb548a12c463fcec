/// Which of a user's events a subscription wants. Every field set must match (AND); an empty
/// filter takes all of that user's events. The user itself is never part of a filter: a
/// subscription is bound to one user when it is made.
public struct EventFilter: Sendable, Hashable {
    public var threadID: String?
    public var runID: String?
    public var executionID: String?

    public init(threadID: String? = nil, runID: String? = nil, executionID: String? = nil) {
        self.threadID = threadID
        self.runID = runID
        self.executionID = executionID
    }

    public static let all = EventFilter()

    public var isEmpty: Bool { threadID == nil && runID == nil && executionID == nil }

    @inline(__always)
    public func matches(_ envelope: EventEnvelope) -> Bool {
        if let threadID, envelope.identity.threadID != threadID { return false }
        if let runID, envelope.identity.runID != runID { return false }
        if let executionID, envelope.executionID != executionID { return false }
        return true
    }
}
