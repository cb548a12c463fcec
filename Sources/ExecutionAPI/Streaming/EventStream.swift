import ExecutionCore
import HTTPServer
import Synchronization
import VisibleLocks

/// One open event stream: a hub subscription bound to one user, and the sink (SSE writer or
/// WebSocket session) its events are written to, on the loop that owns the connection.
///
/// `open` subscribes while the request is answered, so the per-user cap is a 429 and not a
/// broken stream. The endpoint hands the stream's methods to the HTTP server as callbacks, which
/// the server runs on the connection's loop: `attach` (the response started, the WebSocket
/// opened), `clientClosed` (it ended, or never started: the server runs exactly one of
/// start/notStarted, onOpen/onRefused, so the subscription is always released and no timer
/// waits for a response that never starts), `serverShutdown`, `resubscribe`.
///
/// The event path: the hub queues an event on the subscription and calls `ring` on the
/// publisher's thread; `ring` posts one drain to the loop (coalesced by `drainPosted`); the drain
/// takes a bounded batch, frames it and writes it into the connection's outbound buffer, which
/// the loop flushes at the end of that turn. One queue, one wake-up, no thread in between.
///
/// Threads, and why `@unchecked Sendable` holds without a lock around the variables: `ring` (any
/// thread) touches only `drainPosted` and `attachedLoop`, which are atomic or locked. Every other
/// member is used by one thread at a time: by `open` before the stream is handed to anyone but
/// the hub (whose wake only calls `ring`), then by the server's callbacks, which it runs on the
/// connection's loop after it received the response `open`'s caller returned (so they see what
/// `open` wrote), and by tasks and timers on that same loop. Entry points check the thread.
final class EventStream: @unchecked Sendable {
    let context: EventStreamContext
    private let drainPosted = Atomic<Bool>(false)
    /// The sink's loop and the drain task `ring` posts to it (made once, not per wake),
    /// published by `attach`.
    private let attachedLoop = VisibleMutex<(loop: any ConnectionLoop, drain: @Sendable () -> Void)?>(nil)
    // Confined to one thread at a time (see above).
    var subscription: EventSubscription?
    var sink: (any EventStreamSink)?
    /// The cursor the stream started from, then the last event id written.
    var position: UInt64?
    /// The user's last event id when the subscription was made with a cursor: events up to it
    /// are a replay, written as the socket drains (see `drainBatch`); 0 without a replay.
    var replayThrough: UInt64 = 0
    var run: RunStreamState?
    var ended = false
    /// When the stream last wrote (heartbeats go to streams quiet for a whole interval).
    var lastWrite = ContinuousClock.now
    var heartbeat: ConnectionLoopTimer?
    /// Subscription changes (WebSocket `subscribe`) allowed from now on.
    var changeLimiter = SubscriptionChangeLimiter()

    private init(context: EventStreamContext, position: UInt64?) {
        self.context = context
        self.position = position
    }

    /// Subscribes; the stream writes nothing until `attach` gives it a sink. `runEnded` is asked
    /// just before subscribing (see `RunStreamState`): a run reads as ended only once its
    /// terminal event is published (the engine does both in one critical section), so a run
    /// ended then has its terminal event in the subscription's replay: in the ring, or on a
    /// journal behind the replay's barrier for this replica's pending appends. Asked after
    /// subscribing, a run that ended in between read as ended while its terminal event, still
    /// being stored, was in neither, and the stream ended without it.
    static func open(_ context: EventStreamContext, filter: EventFilter, after: UInt64?, runStream: Bool = false,
                     ready: (@Sendable () -> Void)? = nil,
                     runEnded: () -> Bool = { false }) throws(SubscriptionError) -> EventStream {
        let stream = EventStream(context: context, position: after)
        // From the start of a run: the hub replays the whole retained log, filtered to the run.
        let subscribeAfter = runStream && after == nil ? 0 : after
        let run = runStream ? RunStreamState(fromStart: after == nil, endedBeforeSubscribe: runEnded()) : nil
        stream.subscription = try context.hub.subscribe(userID: context.userID, filter: filter, after: subscribeAfter,
                                                        ready: ready) { [weak stream] in stream?.ring() }
        stream.run = run
        if subscribeAfter != nil { stream.noteReplay() }
        context.counters.countOpened()
        return stream
    }

    // MARK: The hub's side (any thread)

    /// The hub's wake, on the publisher's thread: only posts a drain, at most one at a time.
    ///
    /// Before `attach` there is no loop to post to and none is needed: a wake that finds no loop
    /// clears the flag it set (so the flag is never left set without a drain on its way), and
    /// its event was queued before the loop was published, so `attach`, which publishes the loop
    /// and then drains, takes it. A posted drain clears the flag before taking a batch, so a wake
    /// for anything that drain misses posts again (the hub queues an event before it wakes).
    func ring() {
        guard !drainPosted.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard let attached = attachedLoop.withLock({ $0 }) else {
            drainPosted.store(false, ordering: .releasing)
            return
        }
        attached.loop.execute(attached.drain)
    }

    /// The task `ring` posts.
    private func postedDrain() {
        drainPosted.store(false, ordering: .releasing)
        drainPending()
    }

    // MARK: The server's callbacks (the connection's loop)

    /// The response started (or the WebSocket opened): the first bytes (SSE `retry:`), then
    /// everything waiting, then the heartbeat timer.
    func attach(_ sink: any EventStreamSink) {
        precondition(sink.loop.inLoopThread, "an event stream is attached on its connection's loop")
        guard !ended else {
            // Told before that the response would never start (the server promises otherwise).
            return sink.end(.clientGone, lastEventID: position)
        }
        self.sink = sink
        // Weak: the stream would otherwise hold itself through its own task.
        attachedLoop.withLock { $0 = (sink.loop, { [weak self] in self?.postedDrain() }) }
        lastWrite = .now
        if let ending = check(sink.open()) { return end(ending) }
        drainPending()
        if !ended, sink.wantsHeartbeats { armHeartbeat(after: context.heartbeatInterval) }
    }

    /// The client left, or the response never started.
    func clientClosed() {
        assertOnLoop()
        end(.clientGone)
    }

    /// The server began draining (SSE `onShutdown`): everything queued goes out first, then the
    /// final `server_shutdown` frame.
    func serverShutdown() {
        assertOnLoop()
        while !ended, sink != nil, drainBatch() {}
        end(.serverShutdown)
    }

    /// A WebSocket `subscribe` message; false when refused by the change limit (the stream
    /// goes on under its current filter).
    func resubscribe(filter: EventFilter, after: UInt64?) -> Bool {
        assertOnLoop()
        guard changeLimiter.allow(now: .now) else { return false }
        replaceSubscription(filter: filter, after: after)
        return true
    }

    // MARK: Loop work

    /// One batch; while more is waiting (the hub sends no wake for it), the next batch is taken
    /// in the loop's next turn, after this one has been flushed.
    func drainPending() {
        assertOnLoop()
        guard !ended, sink != nil, drainBatch(), let loop = sink?.loop else { return }
        loop.execute { [self] in drainPending() }
    }

    private func assertOnLoop() {
        precondition(sink?.loop.inLoopThread ?? true, "an event stream runs on its connection's loop")
    }

    /// A subscription with a cursor was just made: what the log holds now is its replay.
    func noteReplay() {
        replayThrough = context.hub.logInfo(userID: context.userID)?.lastID ?? 0
    }

    /// Whether the events being written are still the replay (nothing past it written yet).
    var isReplaying: Bool { (position ?? 0) < replayThrough || subscription?.isReplaying == true }

    func armHeartbeat(after delay: Duration) {
        guard let loop = sink?.loop else { return }
        heartbeat = loop.schedule(after: delay) { [weak self] in self?.heartbeatDue() }
    }
}

/// What the streams of one user share.
struct EventStreamContext: Sendable {
    let hub: EventHub
    let userID: String
    let counters: EventStreamCounters
    /// Quiet SSE streams get a `: ping` after this long.
    let heartbeatInterval: Duration
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
