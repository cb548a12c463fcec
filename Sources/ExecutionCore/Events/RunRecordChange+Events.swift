extension RunRecordChange {
    /// What a run event says about its run's record (issue 13: the journal keeps run records
    /// from the events themselves, so a record and its events can never disagree); nil for
    /// progress events. `draft.data` is the sanitised data, as the event carries it.
    public static func of(_ draft: EventDraft) -> RunRecordChange? {
        let data = draft.data
        let time = draft.timestamp
        switch draft.type {
        case .runQueued:
            return RunRecordChange(state: .queued, createdAt: time)
        case .agentStarted:
            let waited = Duration.milliseconds(data["queue_wait_ms"]?.int64Value ?? 0)
            return RunRecordChange(state: .running, createdAt: time - waited, startedAt: time)
        case .agentCompleted:
            return RunRecordChange(state: .completed, endedAt: time,
                                   resultJSON: data["result"].map { $0.serializedString() } ?? "null")
        case .agentError:
            return RunRecordChange(state: .failed, endedAt: time, reason: data["kind"]?.stringValue,
                                   errorMessage: data["message"]?.stringValue)
        case .runCancelled:
            return RunRecordChange(state: .cancelled, endedAt: time, reason: data["reason"]?.stringValue)
        case .runTimedOut:
            return RunRecordChange(state: .timedOut, endedAt: time, reason: "timeout")
        case .agentThinking, .toolExecuting, .toolCompleted:
            return nil
        }
    }
}
