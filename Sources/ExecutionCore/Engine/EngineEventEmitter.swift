/// Sends an engine's events with the identity of the context it is bound to. The identity is fixed
/// at construction: nothing a caller or an agent passes can change the user, thread, run, request
/// or engine an event is about.
public struct EngineEventEmitter: Sendable {
    /// Stamped on every event this emitter sends.
    public let identity: EventIdentity
    private let publisher: any EventPublisher
    private let clock: any ExecutionClock

    init(context: UserExecutionContext, engineID: String, publisher: any EventPublisher, clock: any ExecutionClock) {
        identity = EventIdentity(userID: context.userID, threadID: context.threadID, runID: context.runID,
                                 requestID: context.requestID, engineID: engineID)
        self.publisher = publisher
        self.clock = clock
    }

    /// Publishes one event about agent run `executionID`, stamped with this emitter's identity.
    @discardableResult
    public func emit(_ type: EventType, executionID: String, agent: String, data: JSONValue) -> PublishedEvent {
        publisher.publish(EventDraft(type: type, identity: identity, executionID: executionID, agent: agent,
                                timestamp: clock.now(), data: data))
    }
}
