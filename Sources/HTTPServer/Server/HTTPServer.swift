import Glibc
import Logging
import Platform
import Synchronization
import VisibleLocks

/// The HTTP/1.1 server: N event-loop threads, each with its own SO_REUSEPORT listener and its own
/// connections. Built-in probes answer before the responder; everything else goes to it.
///
/// Life: `init` → `start()` (listening when it returns) → `drain()` (graceful) → `stop()`.
public final class HTTPServer: Sendable {
    private struct Lifecycle {
        enum State { case created, started, stopped }
        var state = State.created
        var loops: [EventLoop] = []
        var threads: [ReactorThread] = []
        var boundPort = 0
        /// `markNotReady` made readiness 503: the caller waited its own delay, and `drain`
        /// begins at once.
        var notReadyMarked = false
    }

    private let shared: ServerShared
    private let lifecycle = VisibleMutex(Lifecycle())

    /// - Parameters:
    ///   - configuration: addresses, limits, timeouts, drain behaviour.
    ///   - responder: the application; called on loop threads, must not block.
    ///   - logger: transport events, errors and (when enabled) the access log.
    public init(configuration: HTTPServerConfiguration, responder: any HTTPResponder,
                logger: Logger = Logger(label: "isolationd.http")) {
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let loopCount = configuration.eventLoopCount > 0 ? configuration.eventLoopCount : cores
        shared = ServerShared(configuration: configuration, responder: responder, logger: logger, loopCount: loopCount)
    }

    /// Binds, starts the loops, and returns once every loop's socket is listening.
    public func start() throws(HTTPServerError) {
        try lifecycle.withLock { (life: inout Lifecycle) throws(HTTPServerError) in
            guard life.state == .created else { throw .alreadyStarted }
            try validate(shared.configuration)
            let address = try ListeningSocket.parse(host: shared.configuration.host, port: shared.configuration.port)
            var listeners: [Int32] = []
            var loops: [EventLoop] = []
            do throws(HTTPServerError) {
                let first = try ListeningSocket.open(address)
                listeners.append(first.fd)
                let concrete = ListeningSocket.withPort(address, first.port)
                for _ in 1..<shared.loopCount { listeners.append(try ListeningSocket.open(concrete).fd) }
                for index in 0..<shared.loopCount { loops.append(try EventLoop(index: index)) }
                var threads: [ReactorThread] = []
                let allLoops = loops
                for (loop, listener) in zip(loops, listeners) {
                    LoopRuntime.install(loop: loop, peers: allLoops, shared: shared, listenerFD: listener)
                    do throws(PlatformError) {
                        threads.append(try ReactorThread.start(name: "http-loop-\(loop.index)") { loop.reactor.run() })
                    } catch {
                        // The loops already running own their listening sockets: stop them. (The
                        // loops not started close theirs below; their queued setup never runs.)
                        for started in loops.prefix(threads.count) { started.execute { runtime in runtime.stop() } }
                        for thread in threads { thread.join() }
                        listeners.removeFirst(threads.count)
                        throw HTTPServerError.system(error.operation, error.code)
                    }
                }
                life.loops = loops
                life.threads = threads
                life.boundPort = first.port
                life.state = .started
            } catch {
                for fd in listeners { close(fd) }
                throw error
            }
        }
        shared.logger.info("listening on \(shared.configuration.host):\(boundPort) with \(shared.loopCount) event loops")
    }

    private func validate(_ configuration: HTTPServerConfiguration) throws(HTTPServerError) {
        guard configuration.maxConnections > 0 else { throw .invalidConfiguration("maxConnections must be positive") }
        guard configuration.maxBodyBytes >= 0 else { throw .invalidConfiguration("maxBodyBytes must not be negative") }
        guard configuration.maxBodiesInFlightBytes == 0 || configuration.maxBodiesInFlightBytes >= configuration.maxBodyBytes else {
            throw .invalidConfiguration("maxBodiesInFlightBytes must be 0 or at least maxBodyBytes")
        }
        guard configuration.maxAcceptsPerSecond >= 0 else { throw .invalidConfiguration("maxAcceptsPerSecond must not be negative") }
        guard configuration.outboundBufferBytes > 0 else { throw .invalidConfiguration("outboundBufferBytes must be positive") }
        guard shared.loopCount <= 1024 else { throw .invalidConfiguration("eventLoopCount must be at most 1024") }
        if let name = configuration.serverName,
           name.isEmpty || name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw .invalidConfiguration("serverName must be non-empty printable text")
        }
    }

    /// The port the server listens on (the ephemeral one when configured with 0); 0 before `start()`.
    public var boundPort: Int { lifecycle.withLock { $0.boundPort } }

    /// The number of event-loop threads.
    public var eventLoopCount: Int { shared.loopCount }

    /// False from the moment `drain()` begins (what `/readyz` reports).
    public var isReady: Bool { shared.phase == .running && lifecycle.withLock { $0.state == .started } }

    /// Statistics for metrics; cheap to read at any time.
    public var counters: HTTPServerCounters {
        let loops = lifecycle.withLock { $0.loops }
        var counters = HTTPServerCounters()
        counters.openConnections = max(0, shared.openConnections.load(ordering: .relaxed))
        counters.rejectedConnections = shared.guards.admission.rejected.load(ordering: .relaxed)
        counters.requestBodyBytesInFlight = shared.guards.bodies.bytesInFlight
        counters.requestBodiesRefused = shared.guards.bodies.refused.load(ordering: .relaxed)
        for loop in loops {
            counters.acceptedConnections += loop.counters.accepted.load(ordering: .relaxed)
            counters.requestsServed += loop.counters.requests.load(ordering: .relaxed)
            counters.acceptsDeferred += loop.counters.acceptsDeferred.load(ordering: .relaxed)
            counters.streamBacklogPeakBytes = max(counters.streamBacklogPeakBytes,
                                                  loop.counters.streamBacklogPeak.load(ordering: .relaxed))
        }
        return counters
    }

    /// Graceful shutdown: readiness turns 503 at once; after `drainDelay` accepting stops,
    /// idle connections close, new requests on open connections get 503 + `Retry-After` +
    /// `Connection: close`, streams get `onShutdown`; in-flight requests finish. Connections
    /// still open `drainDeadline` later are closed (streams with `.serverShutdown`). Returns
    /// when no connection is left. Call `stop()` afterwards to end the loop threads.
    public func drain() async {
        let (started, marked) = lifecycle.withLock { ($0.state == .started, $0.notReadyMarked) }
        guard started else { return }
        let previous = shared.advance(to: .notReady)
        if previous == .running {
            shared.logger.info("draining: readiness is now 503")
            let delay = shared.configuration.drainDelay
            if delay > .zero { try? await Task.sleep(for: delay) }
            beginDraining()
        } else if marked {
            beginDraining()
        }
        await shared.connectionCloseWaiter.wait()
    }

    /// Readiness turns 503 at once and nothing else changes: for a caller that orders the
    /// shutdown itself (work goes on through its drain delay, then the application shuts its
    /// own parts down, then it calls `drain`, which then begins without a delay of its own).
    public func markNotReady() {
        guard lifecycle.withLock({ $0.state == .started }) else { return }
        guard shared.advance(to: .notReady) == .running else { return }
        lifecycle.withLock { $0.notReadyMarked = true }
        shared.logger.info("draining: readiness is now 503")
    }

    /// Accepting stops and the loops drain (once, whoever calls).
    private func beginDraining() {
        guard shared.advance(to: .draining) == .notReady else { return }
        let deadline = MonotonicClock.now() &+ shared.configuration.drainDeadline.saturatingNanoseconds
        for loop in lifecycle.withLock({ $0.loops }) {
            loop.execute { runtime in runtime.beginDrain(deadline: deadline) }
        }
    }

    /// Stops at once: closes every connection (streams end with `.serverShutdown`) and ends the
    /// loop threads. Idempotent. Must not be called from a responder (a loop thread).
    public func stop() {
        shared.advance(to: .stopped)
        let (loops, threads) = lifecycle.withLock { life -> ([EventLoop], [ReactorThread]) in
            guard life.state == .started else {
                life.state = .stopped
                return ([], [])
            }
            life.state = .stopped
            defer { life.threads = [] }
            return (life.loops, life.threads)
        }
        for loop in loops { loop.execute { runtime in runtime.stop() } }
        if loops.contains(where: \.inLoopThread) {
            shared.logger.error("HTTPServer.stop() called from an event loop; threads are left to end by themselves")
        } else {
            for thread in threads { thread.join() }
        }
        shared.connectionCloseWaiter.signal()
        if !loops.isEmpty { shared.logger.info("stopped") }
    }

    deinit { stop() }
}

/// Server statistics (monotonic counts, except `openConnections`).
public struct HTTPServerCounters: Sendable, Equatable {
    /// Connections currently open.
    public var openConnections = 0
    /// Connections accepted since start (including those rejected over the limit).
    public var acceptedConnections = 0
    /// Requests answered (probes and error answers included).
    public var requestsServed = 0
    /// Connections refused: 503 because `maxConnections` was reached, 429 because their peer
    /// address had `maxConnectionsPerPeer` open.
    public var rejectedConnections = 0
    /// Request-body bytes reserved now by bodies being read (`maxBodiesInFlightBytes`).
    public var requestBodyBytesInFlight = 0
    /// Requests answered 503 because their body would have passed `maxBodiesInFlightBytes`.
    public var requestBodiesRefused = 0
    /// Times a loop stopped accepting for a while because `maxAcceptsPerSecond` was used up
    /// (the connections waited in the kernel's backlog, none was refused).
    public var acceptsDeferred = 0
    /// The most bytes any streamed response or WebSocket ever had queued for its socket (the
    /// outbound bound holds it, except a single chunk larger than the bound written to an
    /// empty queue and a stream's final frame).
    public var streamBacklogPeakBytes = 0

    public init() {}
}
