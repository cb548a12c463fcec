import CLibPQ
import Platform

/// One libpq connection on the pool's reactor, through its whole life: connecting
/// (`PQconnectStart`/`PQconnectPoll` driven by socket readiness, bounded by `connectTimeout`),
/// ready (non-blocking, in pipeline mode; see `+Pipeline`), lost (its queries fail
/// `.unavailable`, a reconnect is scheduled with backoff), closed (pool shut down).
/// Loop thread only: the pool's core owns it and the reactor calls it.
final class PostgresConnection: ReactorHandler {
    enum Role {
        /// Carries callers' queries.
        case queries
        /// Holds the pool's LISTENs and receives notifications; carries no query.
        case listener
    }

    enum State: Equatable {
        /// Not connected; a reconnect may be scheduled.
        case idle
        case connecting
        case ready
        /// Shut down for good.
        case closed
    }

    let role: Role
    unowned let pool: PoolCore
    private(set) var state: State = .idle
    /// The libpq connection while connecting or ready.
    private(set) var connection: OpaquePointer?
    private var token: ReactorToken?
    var pipeline = ConnectionPipeline()
    /// libpq holds output the socket did not take yet (PQflush returned 1): watching EPOLLOUT.
    var outputPending = false
    /// Monotonic ns of the last input, or of the write that started a wait for some: the pool's
    /// stall check loses a connection that has owed answers for too long.
    var lastProgress: UInt64 = 0
    /// LISTEN commands sent on this (listener) connection whose results are still to come.
    var listensAwaited = 0
    /// Failed attempts (or the loss) since the last successful connection: the backoff exponent.
    private var failures = 0
    private var hasConnectedBefore = false
    private var connectTimer: ReactorTimerID?
    private var retryTimer: ReactorTimerID?

    init(role: Role, pool: PoolCore) {
        self.role = role
        self.pool = pool
    }

    var reactor: Reactor { pool.reactor }

    // MARK: Connecting

    /// Starts an attempt (does nothing unless idle).
    func connect() {
        guard state == .idle else { return }
        retryTimer = nil
        guard let connection = PQconnectStart(pool.configuration.url) else {
            failAttempt("libpq could not allocate a connection")
            return
        }
        self.connection = connection
        ResultDecoding.silenceNotices(connection)
        guard PQstatus(connection) != CONNECTION_BAD else {
            failAttempt(ResultDecoding.connectionError(connection))
            return
        }
        state = .connecting
        let deadline = reactor.now &+ UInt64(clamping: pool.configuration.connectTimeout.nanoseconds)
        connectTimer = reactor.schedule(at: deadline) { [weak self] in
            guard let self, state == .connecting else { return }
            connectTimer = nil
            failAttempt("connect timed out after \(pool.configuration.connectTimeout)")
        }
        // libpq's rule: before the first PQconnectPoll, act as if it had asked for writing.
        watchConnecting(Epoll.output)
    }

    private func continueConnecting() {
        guard let connection else { return }
        switch PQconnectPoll(connection) {
        case PGRES_POLLING_READING: watchConnecting(Epoll.input)
        case PGRES_POLLING_WRITING: watchConnecting(Epoll.output)
        case PGRES_POLLING_OK: becomeReady()
        default: failAttempt(ResultDecoding.connectionError(connection))
        }
    }

    /// Registers libpq's current socket afresh: while connecting, libpq may close its socket and
    /// open another (the next address of a host), possibly with the same number.
    private func watchConnecting(_ events: UInt32) {
        guard let connection else { return }
        if let token { reactor.deregister(token) }
        token = nil
        let fd = PQsocket(connection)
        guard fd >= 0 else {
            failAttempt(ResultDecoding.connectionError(connection))
            return
        }
        do {
            token = try reactor.register(fd: fd, events: events, handler: self)
        } catch {
            failAttempt("cannot watch the database socket: \(error)")
        }
    }

    private func becomeReady() {
        guard let connection else { return }
        if let connectTimer { reactor.cancel(connectTimer) }
        connectTimer = nil
        guard PQsetnonblocking(connection, 1) == 0, PQenterPipelineMode(connection) == 1 else {
            failAttempt("cannot enter pipeline mode: \(ResultDecoding.connectionError(connection))")
            return
        }
        if let token { reactor.modify(token, events: Epoll.input) }
        state = .ready
        if hasConnectedBefore || failures > 0 { pool.statistics.countReconnect() }
        hasConnectedBefore = true
        failures = 0
        outputPending = false
        pipeline.unsentCommands.append(.setup)
        if role == .listener {
            for channel in pool.listenedChannels { pipeline.unsentCommands.append(.listen(channel: channel)) }
        }
        pool.connectionBecameReady(self)
    }

    private func failAttempt(_ reason: String) {
        teardown()
        state = .idle
        failures += 1
        pool.statistics.countConnectionFailure()
        scheduleRetry()
        pool.connectionFailed(self, reason: reason)
    }

    private func scheduleRetry() {
        let delay = pool.configuration.reconnectBackoff.delay(afterFailures: failures)
        retryTimer = reactor.schedule(at: reactor.now &+ UInt64(clamping: delay.nanoseconds)) { [weak self] in
            guard let self, state == .idle else { return }
            connect()
        }
    }

    // MARK: Losing and closing

    /// The established connection broke: fails what it carried and reconnects after a backoff.
    func lose(_ reason: String) {
        guard state == .ready else { return }
        let queries = pipeline.removeAllQueries()
        listensAwaited = 0
        teardown()
        state = .idle
        failures = 1
        pool.statistics.countConnectionFailure()
        scheduleRetry()
        pool.connectionLost(self, reason: reason, failing: queries)
    }

    /// For good (the pool shuts down): its queries fail with `reason`.
    func close(_ reason: String) -> [PendingQuery] {
        let queries = pipeline.removeAllQueries()
        if let retryTimer { reactor.cancel(retryTimer) }
        retryTimer = nil
        teardown()
        state = .closed
        return queries
    }

    private func teardown() {
        if let connectTimer { reactor.cancel(connectTimer) }
        connectTimer = nil
        if let token { reactor.deregister(token) }
        token = nil
        if let connection { PQfinish(connection) }
        connection = nil
        outputPending = false
    }

    /// Changes what the ready connection's socket is watched for.
    func watch(_ events: UInt32) {
        if let token { reactor.modify(token, events: events) }
    }

    // MARK: ReactorHandler

    func reactorEvents(_ events: UInt32, _ reactor: Reactor) {
        switch state {
        case .connecting: continueConnecting()
        case .ready: handleReadiness(events)
        case .idle, .closed: break
        }
    }
}
