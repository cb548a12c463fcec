import ExecutionCore
import HTTPServer
import Synchronization

/// One event stream from the request that opens it to the loop that writes it.
///
/// `open` subscribes while the request is answered, so the per-user cap is a 429 and not a broken
/// stream. The endpoint then hands the bridge's methods to the HTTP server as the stream's
/// callbacks, all of which the server runs on the connection's loop: `attach` (the response
/// started, or the WebSocket opened), `clientClosed` (it ended, or never started), `serverShutdown`
/// and `resubscribe`. From `attach` on, an `EventStreamDelivery` on that loop does all the work.
///
/// The event path: the hub queues an event on the subscription and calls its wake closure on the
/// publisher's thread; the doorbell posts one drain (coalesced) to the loop; the drain takes a
/// bounded batch, frames it and writes it into the connection's outbound buffer, which the loop
/// flushes at the end of that turn. One queue, one wake-up, no thread in between.
struct EventStreamBridge: Sendable {
    let subscription: EventSubscription
    let doorbell: EventStreamDoorbell
    let context: EventStreamContext
    /// The cursor the stream starts from.
    let after: UInt64?
    /// Set for a run stream (`/v1/runs/{id}/events`).
    let run: RunStreamState?

    /// Subscribes; the stream writes nothing until `attach` gives it a sink. `runEnded` is asked
    /// right after subscribing (see `RunStreamState`).
    static func open(_ context: EventStreamContext, filter: EventFilter, after: UInt64?, runStream: Bool = false,
                     runEnded: () -> Bool = { false }) throws(SubscriptionError) -> EventStreamBridge {
        let doorbell = EventStreamDoorbell()
        // From the start of a run: the hub replays the whole retained log, filtered to the run.
        let subscribeAfter = runStream && after == nil ? 0 : after
        // Weak: the bridge, which the connection's callbacks hold, keeps the doorbell; a wake
        // after the connection let go has nobody to tell.
        let subscription = try context.hub.subscribe(userID: context.userID, filter: filter, after: subscribeAfter) {
            [weak doorbell] in doorbell?.ring()
        }
        let run = runStream ? RunStreamState(fromStart: after == nil, endedBeforeSubscribe: runEnded()) : nil
        context.counters.countOpened()
        return EventStreamBridge(subscription: subscription, doorbell: doorbell, context: context, after: after, run: run)
    }

    /// The response started (or the WebSocket opened): from now on the stream lives on the
    /// sink's loop. Called on that loop.
    func attach(_ sink: any EventStreamSink) {
        let delivery = EventStreamDelivery(sink: sink, subscription: subscription, context: context,
                                           position: after, run: run, doorbell: doorbell)
        guard doorbell.install(delivery) else {
            // Told before that the response would never start (the server promises otherwise).
            sink.end(.clientGone, lastEventID: after)
            return
        }
        delivery.start()
    }

    /// The client left, or the response never started. On the connection's loop.
    func clientClosed() {
        if let delivery = doorbell.delivery {
            delivery.clientGone()
        } else if doorbell.endWithoutDelivery() {
            subscription.cancel()
            context.counters.countEnded(.clientGone)
        }
    }

    /// The server began draining (SSE `onShutdown`). On the connection's loop.
    func serverShutdown() { doorbell.delivery?.serverShutdown() }

    /// A WebSocket `subscribe` message. On the connection's loop.
    func resubscribe(filter: EventFilter, after: UInt64?) { doorbell.delivery?.resubscribe(filter: filter, after: after) }
}

/// What every stream of a user shares, passed to the loop side.
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

/// What the hub's wake closure reaches: it posts one drain to the stream's loop, however many
/// wakes come before that drain runs.
///
/// Before `attach` there is no loop to post to, and none is needed: `install` clears the flag
/// after publishing the delivery, and `start` then drains everything waiting. A wake that finds
/// no delivery clears the flag it set, so the flag never stays set without a drain on its way.
/// A drain that a wake posts runs after the hub queued the wake's event (the hub queues, then
/// wakes), so it takes that event, or a drain that ran after install took it.
final class EventStreamDoorbell: Sendable {
    private let drainPosted = Atomic<Bool>(false)
    private let installed = AtomicLazyReference<EventStreamDelivery>()
    /// The stream ended before any delivery existed (its response never started).
    private let endedEarly = Atomic<Bool>(false)

    var delivery: EventStreamDelivery? { installed.load() }

    /// The hub's wake (on the publisher's thread: only enqueue).
    func ring() {
        guard !drainPosted.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard let delivery = installed.load() else {
            drainPosted.store(false, ordering: .releasing)
            return
        }
        delivery.loop.execute { [self] in
            // Cleared before draining: a wake for anything the drain misses posts again.
            drainPosted.store(false, ordering: .releasing)
            delivery.drainPosted()
        }
    }

    /// Publishes the loop side (once). False when the stream already ended without it.
    func install(_ delivery: EventStreamDelivery) -> Bool {
        guard !endedEarly.load(ordering: .acquiring) else { return false }
        let stored = installed.storeIfNil(delivery)
        drainPosted.store(false, ordering: .releasing)
        return stored === delivery
    }

    /// Whether this call ended a stream that never got a delivery (true once).
    func endWithoutDelivery() -> Bool {
        !endedEarly.exchange(true, ordering: .acquiringAndReleasing)
    }
}
