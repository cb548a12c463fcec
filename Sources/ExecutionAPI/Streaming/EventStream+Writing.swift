import ExecutionCore
import HTTPServer

/// What a stream writes, on its connection's loop (see `EventStream`): batches of events with
/// their gap notice, heartbeats, WebSocket acknowledgements, and the final frame.
extension EventStream {
    /// Events taken per turn: one batch stays well inside the connection's outbound bound, and
    /// the loop flushes (and serves its other connections) between two batches.
    static let batchSize = 128

    /// Room kept in a batch for its gap notice and the transport's per-write framing (an HTTP
    /// chunk's size line, a sync flush of gzip).
    static let noticeAllowance = 256

    /// Takes one batch and writes it. Returns whether more is waiting (and the stream goes on).
    ///
    /// A batch is no larger than the room left under the connection's outbound bound (issue 12,
    /// item 4): what does not fit stays in the subscription's queue. When nothing fits, a
    /// replay (a resume from an old cursor: the whole ring may be waiting) waits until the
    /// socket has taken everything and goes on from there, however slowly the client reads;
    /// live events the client does not keep up with end the stream as a slow consumer, as
    /// they always did. A single event larger than the whole bound goes alone into an empty
    /// queue (the bound's one exception).
    func drainBatch() -> Bool {
        guard let subscription, let sink else { return false }
        let backlog = sink.outboundBacklog
        let room = sink.outboundBound - backlog - Self.noticeAllowance
        var batch = subscription.next(maxEvents: Self.batchSize, maxBytes: max(0, room),
                                      overheadPerEvent: sink.framingBytesPerEvent)
        // The replay is being read from the database; its arrival wakes the stream again.
        if batch.replayPending { return false }
        if batch.events.isEmpty, batch.hasMore {
            if backlog == 0 {
                let single = subscription.next(maxEvents: 1)
                batch.events = single.events
                batch.hasMore = single.hasMore
                batch.termination = single.termination
            } else if isReplaying {
                if let gap = batch.gap, run?.fromStart != true, let ending = check(sink.deliver(gap: gap, events: []).result) {
                    end(ending)
                    return false
                }
                sink.whenDrained { [weak self] in self?.drainPending() }
                return false
            } else {
                end(.slowConsumer)
                return false
            }
        }
        var gap = batch.gap
        var events = batch.events
        var runFinished = false
        if var run {
            // A cursor-less run stream reports its own gap: the run's first event is missing.
            if run.fromStart { gap = nil }
            if run.fromStart, !run.sawEvent, let first = events.first, first.type != .runQueued, first.type != .agentStarted {
                gap = EventGap(requestedAfter: 0, firstAvailableID: first.id, lostCount: nil)
            }
            if let terminal = events.firstIndex(where: { $0.type.isTerminal }) {
                events.removeSubrange((terminal + 1)...)
                runFinished = true
            }
            if !events.isEmpty { run.sawEvent = true }
            self.run = run
        }
        if gap != nil || !events.isEmpty {
            let (result, written) = sink.deliver(gap: gap, events: events)
            // The resume point is the last event actually queued, even when the batch was cut short.
            if written > 0 {
                position = events[written - 1].id
                context.counters.countWritten(sink.transport, events: written,
                                              bytes: events[..<written].reduce(0) { $0 + $1.json.count })
            }
            if let ending = check(result) {
                end(ending)
                return false
            }
        }
        if runFinished {
            end(.runFinished)
            return false
        }
        switch batch.termination {
        case .slowConsumer?:
            end(.slowConsumer)
            return false
        case .shutdown?:
            end(.serverShutdown)
            return false
        case .unavailable?:
            end(.unavailable)
            return false
        case .cancelled?:
            self.subscription = nil
        case nil:
            if batch.hasMore { return true }
        }
        if let run, run.endedBeforeSubscribe {
            // Everything pending at subscribe time is written and the terminal event was not in
            // it: it is no longer retained. Say so, then end.
            let first = context.hub.logInfo(userID: context.userID)?.firstRetainedID ?? 0
            if run.fromStart, !run.sawEvent {
                _ = sink.deliver(gap: EventGap(requestedAfter: position ?? 0, firstAvailableID: first, lostCount: nil), events: [])
            }
            end(.runFinished)
        }
        return false
    }

    /// Replaces the subscription (WebSocket `subscribe` message), acknowledges, and writes what
    /// the new one has waiting.
    func replaceSubscription(filter: EventFilter, after: UInt64?) {
        guard !ended, let sink else { return }
        subscription?.cancel()
        subscription = nil
        // Without an explicit cursor the new filter continues after the last event sent, so a
        // re-filter loses nothing and repeats nothing.
        let cursor = after ?? position
        do {
            subscription = try context.hub.subscribe(userID: context.userID, filter: filter, after: cursor) {
                [weak self] in self?.ring()
            }
            position = cursor
            if cursor != nil { noteReplay() }
            if let ending = check(sink.acknowledge(filter: filter, after: cursor)) { return end(ending) }
        } catch {
            if error == .shuttingDown { return end(.serverShutdown) }
            let detail = switch error {
            case .tooManySubscribers(let limit): "too many open streams for this user (limit \(limit))"
            case .shuttingDown: "the server is shutting down"
            }
            if let ending = check(sink.reject(code: "subscribe_failed", detail: detail)) { return end(ending) }
        }
        drainPending()
    }

    /// The heartbeat timer: a `: ping` for a stream quiet for a whole interval, else a wait for
    /// the rest of it (writes only note their time; the timer re-arms itself from that).
    func heartbeatDue() {
        guard !ended, let sink else { return }
        let quiet = ContinuousClock.now - lastWrite
        guard quiet >= context.heartbeatInterval else { return armHeartbeat(after: context.heartbeatInterval - quiet) }
        if let ending = check(sink.heartbeat()) { return end(ending) }
        context.counters.countHeartbeat()
        armHeartbeat(after: context.heartbeatInterval)
    }

    /// nil when the write was queued; otherwise how the stream must end.
    func check(_ result: StreamWriteResult) -> StreamEnding? {
        switch result {
        case .queued:
            lastWrite = .now
            return nil
        case .overflow: return .slowConsumer
        case .closed: return .clientGone
        }
    }

    /// Ends the stream once: the subscription and the timer go, the sink writes its final frame.
    func end(_ ending: StreamEnding) {
        guard !ended else { return }
        ended = true
        subscription?.cancel()
        subscription = nil
        heartbeat?.cancel()
        heartbeat = nil
        sink?.end(ending, lastEventID: position)
        context.counters.countEnded(ending)
    }
}
