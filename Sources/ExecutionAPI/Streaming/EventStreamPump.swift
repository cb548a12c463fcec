import Glibc
import Synchronization
import VisibleLocks

/// The one thread that moves events from hub subscriptions into SSE writers and WebSocket
/// sessions, and the one shared timer (heartbeats, abandoned-stream checks) for every stream.
///
/// Why a thread of its own: the hub calls a subscription's wake closure on the publisher's
/// thread and asks that it only enqueue work. A wake here appends the stream to a ready queue
/// (once, coalesced) and, if the pump sleeps, writes one byte to a pipe. The pump then drains
/// every ready stream, framing events into pre-serialized chunks, so publishers never frame,
/// copy or wait for a client. One thread walks all streams for heartbeats: no thread or timer
/// per stream.
public final class EventStreamPump: Sendable {
    /// How often a quiet SSE stream gets a `: ping` comment.
    public let heartbeatInterval: Duration
    /// A stream whose HTTP side never started (the response was never sent) is dropped after this.
    public let attachTimeout: Duration

    private struct ReadyQueue {
        var streams: [EventStreamBridge] = []
        var sleeping = false
        var stopping = false
    }

    private let ready = VisibleMutex(ReadyQueue())
    private let live = VisibleMutex<[UInt64: EventStreamBridge]>([:])
    private let nextID = Atomic<UInt64>(1)
    /// Read end, write end of the wake pipe.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let thread = VisibleMutex<pthread_t?>(nil)
    private let counters = VisibleMutex(PumpCounters())

    /// Figures for tests and metrics.
    public struct PumpCounters: Sendable, Equatable {
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
        /// by transport.
        public var eventsWritten: [StreamTransport: Int] = [:]
        public var eventBytesWritten: [StreamTransport: Int] = [:]
    }

    /// Starts the pump thread.
    public init(heartbeatInterval: Duration = .seconds(15), attachTimeout: Duration = .seconds(30)) {
        self.heartbeatInterval = max(heartbeatInterval, .milliseconds(10))
        self.attachTimeout = attachTimeout
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 { fds = [-1, -1] }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        startThread()
    }

    deinit {
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    /// Streams currently open (registered and not ended).
    public var liveStreamCount: Int { live.withLock { $0.count } }

    public var statistics: PumpCounters { counters.withLock { $0 } }

    /// Stops the thread after ending every open stream as if the server shut down (idempotent).
    /// Call it after the HTTP server has drained.
    public func shutdown() {
        let streams = live.withLock { Array($0.values) }
        for stream in streams { stream.post(.shutdown) }
        let alreadyStopping = ready.withLock { state -> Bool in
            defer { state.stopping = true }
            return state.stopping
        }
        guard !alreadyStopping else { return }
        signal()
        if let handle = thread.withLock({ $0 }) { pthread_join(handle, nil) }
        // Anything still open has nobody to drive it now: cancel its subscription.
        for stream in live.withLock({ Array($0.values) }) { stream.abandon() }
    }

    // MARK: Registration (any thread)

    func makeID() -> UInt64 { nextID.wrappingAdd(1, ordering: .relaxed).oldValue }

    func register(_ stream: EventStreamBridge) {
        live.withLock { $0[stream.id] = stream }
        counters.withLock { $0.opened += 1 }
    }

    func unregister(_ stream: EventStreamBridge, ending: StreamEnding) {
        live.withLock { _ = $0.removeValue(forKey: stream.id) }
        counters.withLock { counters in
            switch ending {
            case .slowConsumer: counters.endedSlowConsumer += 1
            case .serverShutdown: counters.endedShutdown += 1
            case .clientGone: counters.endedClientGone += 1
            case .runFinished: counters.endedRunFinished += 1
            }
        }
    }

    func countHeartbeat() { counters.withLock { $0.heartbeats += 1 } }

    /// Once per delivered batch (not per event): `events` envelopes of `bytes` bytes in all.
    func countWritten(_ transport: StreamTransport, events: Int, bytes: Int) {
        counters.withLock { counters in
            counters.eventsWritten[transport, default: 0] += events
            counters.eventBytesWritten[transport, default: 0] += bytes
        }
    }

    /// Queues `stream` for a drain on the pump thread. Cheap: a lock, an append, at most one
    /// one-byte write when the pump is asleep.
    func schedule(_ stream: EventStreamBridge) {
        let wake = ready.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.streams.append(stream)
            guard state.sleeping else { return false }
            state.sleeping = false
            return true
        }
        if wake { signal() }
    }

    private func signal() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    // MARK: The thread

    private func startThread() {
        let box = Unmanaged.passRetained(PumpBox(self)).toOpaque()
        var handle = pthread_t()
        let created = pthread_create(&handle, nil, { raw in
            guard let raw else { return nil }
            let pump = Unmanaged<PumpBox>.fromOpaque(raw).takeRetainedValue().pump
            pump.runLoop()
            return nil
        }, box)
        if created == 0 {
            thread.withLock { $0 = handle }
        } else {
            Unmanaged<PumpBox>.fromOpaque(box).release()
        }
    }

    private func runLoop() {
        let tick = max(heartbeatInterval / 4, .milliseconds(5))
        var nextTick = Monotonic.now() + tick.nanoseconds
        var batch: [EventStreamBridge] = []
        while true {
            let stop = ready.withLock { state -> Bool in
                swap(&batch, &state.streams)
                if batch.isEmpty, !state.stopping { state.sleeping = true }
                return state.stopping
            }
            if stop {
                // Streams scheduled before the stop (e.g. told to end by `shutdown`) get their turn.
                for stream in batch { stream.run() }
                return
            }
            if batch.isEmpty {
                let waitMs = max(0, (nextTick - Monotonic.now()) / 1_000_000) + 1
                var poller = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
                _ = poll(&poller, 1, Int32(clamping: waitMs))
                drainWakePipe()
                ready.withLock { $0.sleeping = false }
            } else {
                for stream in batch { stream.run() }
                batch.removeAll(keepingCapacity: true)
            }
            let now = Monotonic.now()
            if now >= nextTick {
                walkStreams(now: now)
                nextTick = now + tick.nanoseconds
            }
        }
    }

    private func drainWakePipe() {
        var sink = [UInt8](repeating: 0, count: 64)
        while sink.withUnsafeMutableBytes({ read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// The shared timer: heartbeats for quiet streams, and streams never attached are dropped.
    private func walkStreams(now: Int64) {
        let streams = live.withLock { Array($0.values) }
        let heartbeat = heartbeatInterval.nanoseconds
        let attach = attachTimeout.nanoseconds
        for stream in streams { stream.timerCheck(now: now, heartbeatAfter: heartbeat, attachTimeout: attach) }
    }
}

/// Carries the pump into its thread.
private final class PumpBox: Sendable {
    let pump: EventStreamPump
    init(_ pump: EventStreamPump) { self.pump = pump }
}

/// CLOCK_MONOTONIC nanoseconds: stream timers must not jump with the wall clock.
enum Monotonic {
    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }
}
