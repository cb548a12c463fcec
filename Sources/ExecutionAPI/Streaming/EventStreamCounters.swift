import Synchronization

/// How the event streams fared since start, for `/metrics` and tests: streams opened and ended
/// (by reason), heartbeats, events and envelope bytes written (by transport). Made once by the
/// executable's wiring and shared by every stream; each figure is its own relaxed atomic (they
/// are statistics: no figure needs to agree with another at any instant), so streams on
/// different loops count without a lock.
public final class EventStreamCounters: Sendable {
    /// A copy of the counters.
    public struct Snapshot: Sendable, Equatable {
        /// Streams opened since start.
        public var opened = 0
        /// Streams ended, by reason.
        public var endedSlowConsumer = 0
        public var endedShutdown = 0
        public var endedClientGone = 0
        public var endedRunFinished = 0
        /// Heartbeat comments written.
        public var heartbeats = 0
        /// Events handed to clients' connections, and their envelope bytes (framing excluded),
        /// by transport (a transport that has written nothing has no entry).
        public var eventsWritten: [StreamTransport: Int] = [:]
        public var eventBytesWritten: [StreamTransport: Int] = [:]

        public init() {}

        public var endedUnavailable = 0
        var ended: Int { endedSlowConsumer + endedShutdown + endedClientGone + endedRunFinished + endedUnavailable }
    }

    private let opened = Atomic<Int>(0)
    private let endedSlowConsumer = Atomic<Int>(0)
    private let endedUnavailable = Atomic<Int>(0)
    private let endedShutdown = Atomic<Int>(0)
    private let endedClientGone = Atomic<Int>(0)
    private let endedRunFinished = Atomic<Int>(0)
    private let heartbeats = Atomic<Int>(0)
    private let sseEvents = Atomic<Int>(0)
    private let sseBytes = Atomic<Int>(0)
    private let webSocketEvents = Atomic<Int>(0)
    private let webSocketBytes = Atomic<Int>(0)

    public init() {}

    public var statistics: Snapshot {
        var snapshot = Snapshot()
        snapshot.opened = opened.load(ordering: .relaxed)
        snapshot.endedSlowConsumer = endedSlowConsumer.load(ordering: .relaxed)
        snapshot.endedUnavailable = endedUnavailable.load(ordering: .relaxed)
        snapshot.endedShutdown = endedShutdown.load(ordering: .relaxed)
        snapshot.endedClientGone = endedClientGone.load(ordering: .relaxed)
        snapshot.endedRunFinished = endedRunFinished.load(ordering: .relaxed)
        snapshot.heartbeats = heartbeats.load(ordering: .relaxed)
        for (transport, events, bytes) in [(StreamTransport.sse, sseEvents.load(ordering: .relaxed), sseBytes.load(ordering: .relaxed)),
                                           (.webSocket, webSocketEvents.load(ordering: .relaxed),
                                            webSocketBytes.load(ordering: .relaxed))] {
            if events > 0 { snapshot.eventsWritten[transport] = events }
            if bytes > 0 { snapshot.eventBytesWritten[transport] = bytes }
        }
        return snapshot
    }

    /// Streams opened and not ended yet.
    public var liveStreamCount: Int {
        let snapshot = statistics
        // Relaxed loads of separate counters: an end may be seen before its stream's opening.
        return max(0, snapshot.opened - snapshot.ended)
    }

    func countOpened() { opened.add(1, ordering: .relaxed) }

    func countEnded(_ ending: StreamEnding) {
        switch ending {
        case .slowConsumer: endedSlowConsumer.add(1, ordering: .relaxed)
        case .serverShutdown: endedShutdown.add(1, ordering: .relaxed)
        case .clientGone: endedClientGone.add(1, ordering: .relaxed)
        case .runFinished: endedRunFinished.add(1, ordering: .relaxed)
        case .unavailable: endedUnavailable.add(1, ordering: .relaxed)
        }
    }

    func countHeartbeat() { heartbeats.add(1, ordering: .relaxed) }

    /// Once per delivered batch (not per event): `events` envelopes of `bytes` bytes in all.
    func countWritten(_ transport: StreamTransport, events: Int, bytes: Int) {
        switch transport {
        case .sse:
            sseEvents.add(events, ordering: .relaxed)
            sseBytes.add(bytes, ordering: .relaxed)
        case .webSocket:
            webSocketEvents.add(events, ordering: .relaxed)
            webSocketBytes.add(bytes, ordering: .relaxed)
        }
    }
}
