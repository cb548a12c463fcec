import ExecutionCore
import HTTPServer
import Synchronization
import VisibleLocks

/// One open event stream: a hub subscription bound to one user, and the sink (SSE writer or
/// WebSocket session) it is written to.
///
/// Other threads only post signals into the inbox (hub wake, the response starting, the client
/// leaving, a drain, a heartbeat, a WebSocket message) and schedule the stream on the pump. All
/// the work — taking batches, framing, writing, ending — happens in `run()`, on the pump thread
/// only, so a stream's writes are never concurrent and always in id order.
final class EventStreamBridge: Sendable {
    let id: UInt64
    let userID: String
    let hub: EventHub
    let pump: EventStreamPump
    private let createdAt = Monotonic.now()
    /// Monotonic time of the last bytes written (heartbeats go to streams quiet for an interval).
    private let lastWrite = Atomic<Int64>(0)
    private let attached = Atomic<Bool>(false)
    private let wantsHeartbeats = Atomic<Bool>(false)
    private let inbox = VisibleMutex(Inbox())
    private let core: VisibleMutex<Core>

    enum Signal: Sendable {
        case attach(any EventStreamSink)
        case clientClosed
        case shutdown
        case heartbeat
        /// Replace the subscription (WebSocket `subscribe` message).
        case resubscribe(EventFilter, after: UInt64?)
    }

    private struct Inbox {
        var scheduled = false
        var signals: [Signal] = []
    }

    private struct Core {
        var subscription: EventSubscription?
        var sink: (any EventStreamSink)?
        var filter: EventFilter
        /// The cursor the stream started from, then the last event id written.
        var position: UInt64?
        var run: RunStreamState?
        var ended = false
    }

    /// A run stream (`/v1/runs/{id}/events`): ends after its run's terminal event.
    struct RunStreamState: Sendable {
        /// No client cursor: replay from the start of the run, and say so if that start is gone.
        var fromStart: Bool
        /// The run had ended before the subscription was made: once what was pending then is
        /// written, the stream ends even if the terminal event is no longer in the ring.
        var endedBeforeSubscribe: Bool
        var sawEvent = false
    }

    private init(id: UInt64, userID: String, hub: EventHub, pump: EventStreamPump, filter: EventFilter,
                 after: UInt64?, run: RunStreamState?) {
        self.id = id
        self.userID = userID
        self.hub = hub
        self.pump = pump
        core = VisibleMutex(Core(filter: filter, position: after, run: run))
    }

    /// Subscribes and registers the stream; it writes nothing until `attach` gives it a sink.
    /// `runEnded` is asked right after subscribing (see `RunStreamState`).
    static func open(hub: EventHub, pump: EventStreamPump, userID: String, filter: EventFilter, after: UInt64?,
                     runStream: Bool = false, runEnded: () -> Bool = { false }) throws(SubscriptionError) -> EventStreamBridge {
        let bridge = EventStreamBridge(id: pump.makeID(), userID: userID, hub: hub, pump: pump, filter: filter,
                                       after: after, run: nil)
        // From the start of a run: the hub replays the whole retained log, filtered to the run.
        let subscribeAfter = runStream && after == nil ? 0 : after
        let subscription = try hub.subscribe(userID: userID, filter: filter, after: subscribeAfter) { [weak bridge] in
            bridge?.wake()
        }
        let run = runStream ? RunStreamState(fromStart: after == nil, endedBeforeSubscribe: runEnded()) : nil
        bridge.core.withLock {
            $0.subscription = subscription
            $0.run = run
        }
        pump.register(bridge)
        return bridge
    }

    // MARK: Signals (any thread)

    func attach(_ sink: any EventStreamSink) {
        lastWrite.store(Monotonic.now(), ordering: .relaxed)
        wantsHeartbeats.store(sink.wantsHeartbeats, ordering: .relaxed)
        attached.store(true, ordering: .releasing)
        post(.attach(sink))
    }

    func post(_ signal: Signal) {
        let schedule = inbox.withLock { inbox -> Bool in
            inbox.signals.append(signal)
            defer { inbox.scheduled = true }
            return !inbox.scheduled
        }
        if schedule { pump.schedule(self) }
    }

    /// The hub has items (called on a publisher's thread: only enqueue).
    func wake() {
        let schedule = inbox.withLock { inbox -> Bool in
            defer { inbox.scheduled = true }
            return !inbox.scheduled
        }
        if schedule { pump.schedule(self) }
    }

    /// The pump's timer: heartbeats and streams whose response never started.
    func timerCheck(now: Int64, heartbeatAfter: Int64, attachTimeout: Int64) {
        guard attached.load(ordering: .acquiring) else {
            if now &- createdAt >= attachTimeout { post(.clientClosed) }
            return
        }
        if wantsHeartbeats.load(ordering: .relaxed), now &- lastWrite.load(ordering: .relaxed) >= heartbeatAfter {
            post(.heartbeat)
        }
    }

    /// Ends the stream without writing (the pump has stopped).
    func abandon() {
        let ended = core.withLock { core -> Bool in
            if core.ended { return false }
            core.ended = true
            core.subscription?.cancel()
            core.subscription = nil
            return true
        }
        if ended { pump.unregister(self, ending: .clientGone) }
    }

    // MARK: Work (pump thread)

    func run() {
        let signals = inbox.withLock { inbox -> [Signal] in
            inbox.scheduled = false
            defer { inbox.signals.removeAll() }
            return inbox.signals
        }
        let ending: StreamEnding? = core.withLock { core in process(signals, &core) }
        if let ending { pump.unregister(self, ending: ending) }
    }

    /// Returns how the stream ended, when it did during this turn.
    private func process(_ signals: [Signal], _ core: inout Core) -> StreamEnding? {
        if core.ended { return nil }
        var shutdown = false
        var heartbeat = false
        var opened = false
        for signal in signals {
            switch signal {
            case .attach(let sink): core.sink = sink; opened = true
            case .clientClosed: return end(.clientGone, &core)
            case .shutdown: shutdown = true
            case .heartbeat: heartbeat = true
            case .resubscribe: break
            }
        }
        guard let sink = core.sink else { return shutdown ? end(.serverShutdown, &core) : nil }
        var wrote = false
        if opened, let ending = check(sink.open(), &wrote) { return end(ending, &core) }
        for case let .resubscribe(filter, after) in signals {
            if let ending = resubscribe(filter: filter, after: after, sink: sink, &core, &wrote) { return ending }
        }
        if let ending = drain(sink, &core, &wrote) { return ending }
        if shutdown { return end(.serverShutdown, &core) }
        // Only a stream still quiet for a whole interval (a signal may be older than a write).
        if heartbeat, !wrote, Monotonic.now() &- lastWrite.load(ordering: .relaxed) >= pump.heartbeatInterval.nanoseconds {
            if let ending = check(sink.heartbeat(), &wrote) { return end(ending, &core) }
            pump.countHeartbeat()
        }
        return nil
    }

    /// Takes everything waiting and writes it, batch by batch.
    private func drain(_ sink: any EventStreamSink, _ core: inout Core, _ wrote: inout Bool) -> StreamEnding? {
        while let subscription = core.subscription {
            // Bounded batches: one chunk stays well inside the connection's outbound bound.
            let batch = subscription.next(maxEvents: 128)
            var gap = batch.gap
            var events = batch.events
            var runFinished = false
            if var run = core.run {
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
                core.run = run
            }
            if gap != nil || !events.isEmpty {
                let (result, written) = sink.deliver(gap: gap, events: events)
                // The resume point is the last event actually queued, even when the batch was cut short.
                if written > 0 {
                    core.position = events[written - 1].id
                    pump.countWritten(sink.transport, events: written, bytes: events[..<written].reduce(0) { $0 + $1.json.count })
                }
                if let ending = check(result, &wrote) { return end(ending, &core) }
            }
            if runFinished { return end(.runFinished, &core) }
            if let termination = batch.termination {
                switch termination {
                case .slowConsumer: return end(.slowConsumer, &core)
                case .shutdown: return end(.serverShutdown, &core)
                case .cancelled: core.subscription = nil
                }
                break
            }
            if !batch.hasMore { break }
        }
        if let run = core.run, run.endedBeforeSubscribe {
            // Everything pending at subscribe time is written and the terminal event was not in
            // it: it is no longer retained. Say so, then end.
            let first = hub.logInfo(userID: userID)?.firstRetainedID ?? 0
            if run.fromStart, !run.sawEvent {
                _ = sink.deliver(gap: EventGap(requestedAfter: core.position ?? 0, firstAvailableID: first, lostCount: nil), events: [])
            }
            return end(.runFinished, &core)
        }
        return nil
    }

    private func resubscribe(filter: EventFilter, after: UInt64?, sink: any EventStreamSink,
                             _ core: inout Core, _ wrote: inout Bool) -> StreamEnding? {
        core.subscription?.cancel()
        core.subscription = nil
        // Without an explicit cursor the new filter continues after the last event sent, so a
        // re-filter loses nothing and repeats nothing.
        let cursor = after ?? core.position
        do {
            core.subscription = try hub.subscribe(userID: userID, filter: filter, after: cursor) { [weak self] in
                self?.wake()
            }
            core.filter = filter
            core.position = cursor
            if let ending = check(sink.acknowledge(filter: filter, after: cursor), &wrote) { return end(ending, &core) }
        } catch {
            let detail = switch error {
            case .tooManySubscribers(let limit): "too many open streams for this user (limit \(limit))"
            case .shuttingDown: "the server is shutting down"
            }
            if error == .shuttingDown { return end(.serverShutdown, &core) }
            if let ending = check(sink.reject(code: "subscribe_failed", detail: detail), &wrote) { return end(ending, &core) }
        }
        return nil
    }

    /// nil when the write was queued; otherwise how the stream must end.
    private func check(_ result: StreamWriteResult, _ wrote: inout Bool) -> StreamEnding? {
        switch result {
        case .queued:
            wrote = true
            lastWrite.store(Monotonic.now(), ordering: .relaxed)
            return nil
        case .overflow: return .slowConsumer
        case .closed: return .clientGone
        }
    }

    private func end(_ ending: StreamEnding, _ core: inout Core) -> StreamEnding {
        core.ended = true
        core.subscription?.cancel()
        core.subscription = nil
        core.sink?.end(ending, lastEventID: core.position)
        core.sink = nil
        return ending
    }
}
