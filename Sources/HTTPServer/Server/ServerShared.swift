import Logging
import Synchronization
import VisibleLocks

/// Where the server is in its life. Stored in an Atomic so every loop reads it without a lock.
enum ServerPhase: UInt8 {
    /// Serving normally.
    case running = 0
    /// `drain()` began: readiness answers 503, everything else is still served (drain delay).
    case notReady = 1
    /// Accepting stopped; new requests get 503 + Connection: close; in-flight work finishes.
    case draining = 2
    /// Stopped: loops are closing everything.
    case stopped = 3
}

/// The state every loop shares: configuration, the responder, lifecycle and global counters.
/// Immutable or atomic, so any loop reads it freely.
final class ServerShared: Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let logger: Logger
    let probes: ProbeResponses
    let timeouts: TimeoutNanoseconds
    // Hot-path settings copied out of `configuration`, so reading one never copies the struct.
    let probesEnabled: Bool
    let outboundBufferBytes: Int
    let maxConnections: Int
    let serverName: String?
    let connectionCloseWaiter = ConnectionsClosedSignal()

    private let phaseValue = Atomic<UInt8>(ServerPhase.running.rawValue)
    let openConnections = Atomic<Int>(0)
    /// What every loop consults before taking on a client's connection or body.
    let guards: AdmissionGuards
    /// Loops that have closed their listener during a drain (all of them: no new connection can
    /// appear, so zero open connections means the drain is complete).
    let loopsStoppedAccepting = Atomic<Int>(0)
    let loopCount: Int

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger, loopCount: Int) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.loopCount = loopCount
        probes = ProbeResponses(serverName: configuration.serverName, checks: configuration.readinessChecks)
        timeouts = TimeoutNanoseconds(configuration)
        probesEnabled = configuration.probesEnabled
        outboundBufferBytes = configuration.outboundBufferBytes
        maxConnections = configuration.maxConnections
        guards = AdmissionGuards(admission: ConnectionAdmission(limitPerPeer: configuration.maxConnectionsPerPeer),
                                 bodies: RequestBodyBudget(limit: configuration.maxBodiesInFlightBytes))
        serverName = configuration.serverName
    }

    var phase: ServerPhase {
        ServerPhase(rawValue: phaseValue.load(ordering: .acquiring)) ?? .stopped
    }

    /// Accepting has stopped: new requests are refused, finished streams do not keep the connection.
    var isDraining: Bool { phase.rawValue >= ServerPhase.draining.rawValue }

    /// Moves the phase forward only (never back); returns the previous phase.
    @discardableResult
    func advance(to phase: ServerPhase) -> ServerPhase {
        var current = phaseValue.load(ordering: .acquiring)
        while current < phase.rawValue {
            let (exchanged, original) = phaseValue.compareExchange(expected: current, desired: phase.rawValue,
                                                                  ordering: .acquiringAndReleasing)
            if exchanged { return ServerPhase(rawValue: original) ?? .stopped }
            current = original
        }
        return ServerPhase(rawValue: current) ?? .stopped
    }

    /// Called by loops whenever a connection closes or a loop stops accepting during a drain.
    func checkDrainComplete() {
        guard phase.rawValue >= ServerPhase.draining.rawValue,
              loopsStoppedAccepting.load(ordering: .acquiring) >= loopCount,
              openConnections.load(ordering: .acquiring) == 0 else { return }
        connectionCloseWaiter.signal()
    }
}

/// The server-wide bounds on what clients hold at once, shared by every loop: connections per
/// peer address (checked at accept) and request-body bytes in flight (checked per body).
struct AdmissionGuards: Sendable {
    /// Connections per peer and their cap; connections refused over a limit.
    let admission: ConnectionAdmission
    /// Request-body bytes buffered across all connections, and their bound.
    let bodies: RequestBodyBudget
}

/// The configured timeouts in nanoseconds, converted once.
struct TimeoutNanoseconds: Sendable {
    let requestHead: UInt64
    let idle: UInt64
    let body: UInt64
    let write: UInt64
    let tlsHandshake: UInt64
    let linger: UInt64
    let deferredResponse: UInt64

    init(_ configuration: HTTPServerConfiguration) {
        let t = configuration.timeouts
        requestHead = t.requestHead.saturatingNanoseconds
        idle = t.idle.saturatingNanoseconds
        body = t.body.saturatingNanoseconds
        write = t.write.saturatingNanoseconds
        tlsHandshake = t.tlsHandshake.saturatingNanoseconds
        linger = t.lingerOnClose.saturatingNanoseconds
        deferredResponse = configuration.deferredResponseTimeout.saturatingNanoseconds
    }
}

/// A one-shot signal that `drain()` awaits: resumed once every connection has closed.
final class ConnectionsClosedSignal: Sendable {
    private struct State {
        var signalled = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = VisibleMutex(State())

    func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.signalled else { return [] }
            state.signalled = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.signalled { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
