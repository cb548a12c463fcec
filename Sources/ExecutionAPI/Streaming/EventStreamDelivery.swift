import ExecutionCore
import HTTPServer

/// The loop side of one event stream: takes batches from the subscription, frames them through
/// the sink straight into the connection's outbound buffer, sends heartbeats on a loop timer,
/// and ends the stream with the right final frame.
///
/// Loop-confined, hence `@unchecked Sendable` without a lock: it is created in `attach` on the
/// sink's loop, and every method runs on that loop's thread (each entry point checks it). The
/// entry points are the HTTP server's callbacks, which it runs on the connection's loop
/// (`start`/`onOpen`, `onClose`, `onShutdown`, `onMessage`: see `StreamingBody` and
/// `WebSocketUpgrade`), tasks posted with `loop.execute`, and the heartbeat timer
/// (`loop.schedule`). Other threads only hold a reference: the doorbell reads `loop` (a
/// constant) to post a drain. So no two threads ever touch its variables, and a write never
/// competes with another one: every stream's frames go out in id order.
final class EventStreamDelivery: @unchecked Sendable {
    let loop: any ConnectionLoop
    private let sink: any EventStreamSink
    private let context: EventStreamContext
    private var subscription: EventSubscription?
    /// The cursor the stream started from, then the last event id written.
    private var position: UInt64?
    private var run: RunStreamState?
    private var ended = false
    /// When the stream last wrote (heartbeats go to streams quiet for a whole interval).
    private var lastWrite = ContinuousClock.now
    private var heartbeat: ConnectionLoopTimer?
    /// Rung by the wake closure of a replacement subscription (weak: the doorbell holds us).
    private weak var doorbell: EventStreamDoorbell?

    /// Events taken per turn: one batch stays well inside the connection's outbound bound, and
    /// the loop flushes (and serves its other connections) between two batches.
    static let batchSize = 128

    init(sink: any EventStreamSink, subscription: EventSubscription, context: EventStreamContext,
         position: UInt64?, run: RunStreamState?, doorbell: EventStreamDoorbell) {
        loop = sink.loop
        self.sink = sink
        self.subscription = subscription
        self.context = context
        self.position = position
        self.run = run
        self.doorbell = doorbell
    }

    // MARK: Entry points (the loop thread)

    /// The first bytes (SSE `retry:`), everything waiting, then the heartbeat timer.
    func start() {
        precondition(loop.inLoopThread, "an event stream runs on its connection's loop")
        lastWrite = .now
        if let ending = check(sink.open()) { return end(ending) }
        drainPosted()
        if !ended, sink.wantsHeartbeats { armHeartbeat(after: context.heartbeatInterval) }
    }

    /// The doorbell's task (or our own, while batches remain): one batch.
    func drainPosted() {
        precondition(loop.inLoopThread, "an event stream runs on its connection's loop")
        guard !ended, drainBatch() else { return }
        // More is waiting and no wake comes for it: continue in the loop's next turn, after
        // this batch has been flushed.
        loop.execute { [self] in drainPosted() }
    }

    func clientGone() {
        precondition(loop.inLoopThread, "an event stream runs on its connection's loop")
        end(.clientGone)
    }

    /// Everything queued goes out first, then the final `server_shutdown` frame.
    func serverShutdown() {
        precondition(loop.inLoopThread, "an event stream runs on its connection's loop")
        while !ended, drainBatch() {}
        end(.serverShutdown)
    }

    /// Replaces the subscription (WebSocket `subscribe` message), acknowledges, and writes what
    /// the new one has waiting.
    func resubscribe(filter: EventFilter, after: UInt64?) {
        precondition(loop.inLoopThread, "an event stream runs on its connection's loop")
        guard !ended else { return }
        subscription?.cancel()
        subscription = nil
        // Without an explicit cursor the new filter continues after the last event sent, so a
        // re-filter loses nothing and repeats nothing.
        let cursor = after ?? position
        do {
            subscription = try context.hub.subscribe(userID: context.userID, filter: filter, after: cursor) {
                [weak doorbell] in doorbell?.ring()
            }
            position = cursor
            if let ending = check(sink.acknowledge(filter: filter, after: cursor)) { return end(ending) }
        } catch {
            if error == .shuttingDown { return end(.serverShutdown) }
            let detail = switch error {
            case .tooManySubscribers(let limit): "too many open streams for this user (limit \(limit))"
            case .shuttingDown: "the server is shutting down"
            }
            if let ending = check(sink.reject(code: "subscribe_failed", detail: detail)) { return end(ending) }
        }
        drainPosted()
    }

    private func heartbeatDue() {
        guard !ended else { return }
        let quiet = ContinuousClock.now - lastWrite
        // Only a stream quiet for a whole interval; otherwise wait for the rest of it.
        guard quiet >= context.heartbeatInterval else { return armHeartbeat(after: context.heartbeatInterval - quiet) }
        if let ending = check(sink.heartbeat()) { return end(ending) }
        context.counters.countHeartbeat()
        armHeartbeat(after: context.heartbeatInterval)
    }

    private func armHeartbeat(after delay: Duration) {
        heartbeat = loop.schedule(after: delay) { [weak self] in self?.heartbeatDue() }
    }

    // MARK: Work

    /// Takes one batch and writes it. Returns whether more is waiting (and the stream goes on).
    private func drainBatch() -> Bool {
        guard let subscription else { return false }
        let batch = subscription.next(maxEvents: Self.batchSize)
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
            if let ending = check(result) { end(ending); return false }
        }
        if runFinished { end(.runFinished); return false }
        switch batch.termination {
        case .slowConsumer?: end(.slowConsumer); return false
        case .shutdown?: end(.serverShutdown); return false
        case .cancelled?: self.subscription = nil
        case nil: if batch.hasMore { return true }
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

    /// nil when the write was queued; otherwise how the stream must end.
    private func check(_ result: StreamWriteResult) -> StreamEnding? {
        switch result {
        case .queued:
            lastWrite = .now
            return nil
        case .overflow: return .slowConsumer
        case .closed: return .clientGone
        }
    }

    private func end(_ ending: StreamEnding) {
        guard !ended else { return }
        ended = true
        subscription?.cancel()
        subscription = nil
        heartbeat?.cancel()
        heartbeat = nil
        sink.end(ending, lastEventID: position)
        context.counters.countEnded(ending)
    }
}
