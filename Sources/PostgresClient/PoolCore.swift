import Logging
import Platform

/// The pool's state on its reactor: the connections, the queue of queries waiting for room in
/// a pipeline, the statements' slots, LISTEN subscriptions and health. Loop thread only (held
/// in a `LoopBound` by `PostgresPool`).
final class PoolCore {
    let configuration: PostgresConfiguration
    let reactor: Reactor
    let logger: Logger
    let statistics: StatisticsRecorder
    let health: HealthState
    private(set) var connections: [PostgresConnection] = []
    private var waiting = FIFO<(query: PendingQuery, deadline: UInt64)>()
    private var queueTimer: ReactorTimerID?
    /// Statement name → slot (prepared flags and figures are indexed by slot).
    private var statementSlots: [String: Int] = [:]
    /// Connections given queries this turn, written together by one flush task.
    private var dirty: [PostgresConnection] = []
    /// Until the first connection attempt ends, queries wait instead of failing fast.
    private var startingUp = true
    private var isShutDown = false
    /// The stall check's next run, while some connection carries queries.
    private var stallCheck: ReactorTimerID?
    var subscriptions = ListenSubscriptions()

    init(configuration: PostgresConfiguration, reactor: Reactor, logger: Logger,
         statistics: StatisticsRecorder, health: HealthState) {
        self.configuration = configuration
        self.reactor = reactor
        self.logger = logger
        self.statistics = statistics
        self.health = health
    }

    func start() {
        for _ in 0..<max(configuration.poolSize, 1) {
            connections.append(PostgresConnection(role: .queries, pool: self))
        }
        for connection in connections { connection.connect() }
    }

    // MARK: Queries

    /// A query from `execute` or `executeTransaction`: to the least loaded ready connection
    /// with room, else queued while the pool starts or every pipeline is full, else failed.
    func submit(_ statements: [(PreparedStatement, [PostgresValue])], submittedAt: UInt64, completion: QueryCompletion) {
        guard let (firstStatement, firstParameters) = statements.first else {
            return PendingQuery.completeEmpty(completion)
        }
        let rest = statements.dropFirst().map { QueryPart(statement: $0.0, slot: slot(for: $0.0), parameters: $0.1) }
        submit(PendingQuery(first: QueryPart(statement: firstStatement, slot: slot(for: firstStatement), parameters: firstParameters),
                            rest: rest, submittedAt: submittedAt, completion: completion))
    }

    func submit(_ statement: PreparedStatement, _ parameters: [PostgresValue], submittedAt: UInt64, completion: QueryCompletion) {
        submit(PendingQuery(first: QueryPart(statement: statement, slot: slot(for: statement), parameters: parameters),
                            rest: [], submittedAt: submittedAt, completion: completion))
    }

    private func submit(_ query: PendingQuery) {
        guard !isShutDown else { return complete(query, .failure(.unavailable(reason: "pool shut down"))) }
        if waiting.isEmpty, let connection = connectionWithRoom() {
            give(query, to: connection)
        } else if readyCount == 0, !startingUp {
            complete(query, .failure(.unavailable(reason: health.downReason ?? "not connected")))
        } else if waiting.count >= configuration.maxWaiting {
            complete(query, .failure(.poolExhausted))
        } else {
            waiting.append((query, reactor.now &+ UInt64(clamping: configuration.queueTimeout.nanoseconds)))
            armQueueTimer()
        }
        publishGauges()
    }

    private func slot(for statement: PreparedStatement) -> Int {
        if let slot = statementSlots[statement.name] { return slot }
        let slot = statementSlots.count
        statementSlots[statement.name] = slot
        statistics.addStatement(statement.name, slot: slot)
        return slot
    }

    private var readyCount: Int { connections.reduce(0) { $0 + ($1.state == .ready ? 1 : 0) } }

    private func connectionWithRoom() -> PostgresConnection? {
        var best: PostgresConnection?
        let depth = max(configuration.pipelineDepth, 1)
        for connection in connections where connection.state == .ready && connection.pipeline.load < depth {
            if best == nil || connection.pipeline.load < best!.pipeline.load { best = connection }
        }
        return best
    }

    private func give(_ query: PendingQuery, to connection: PostgresConnection) {
        connection.assign(query)
        markDirty(connection)
        if stallCheck == nil { armStallCheck() }
    }

    /// The server answers every statement within statement_timeout, so a connection owing
    /// answers for much longer is dead without knowing it (a peer gone without a FIN, a
    /// partition): TCP would take many minutes to say so. It is lost, failing its queries.
    private func armStallCheck() {
        stallCheck = reactor.schedule(at: reactor.now &+ 1_000_000_000) { [weak self] in
            guard let self else { return }
            stallCheck = nil
            let limit = UInt64(clamping: configuration.statementTimeout.nanoseconds)
                &+ UInt64(clamping: configuration.connectTimeout.nanoseconds)
            var busy = false
            for connection in connections where connection.state == .ready && !connection.pipeline.isEmpty {
                // Only what was written counts (queries given this turn are not sent yet).
                if !connection.pipeline.entries.isEmpty, reactor.now &- connection.lastProgress > limit {
                    connection.lose("no answer from the server for \((reactor.now &- connection.lastProgress) / 1_000_000_000) s")
                } else {
                    busy = true
                }
            }
            if busy, !isShutDown { armStallCheck() }
        }
    }

    /// Queues `connection` for the turn's flush; the first one of a turn schedules it.
    func markDirty(_ connection: PostgresConnection) {
        guard !dirty.contains(where: { $0 === connection }) else { return }
        dirty.append(connection)
        if dirty.count == 1 {
            // A timer due now fires after this iteration's events and tasks: every query
            // submitted in this turn is in the batch by then.
            reactor.schedule(at: reactor.now) { [weak self] in self?.flushDirty() }
        }
    }

    private func flushDirty() {
        let connections = dirty
        dirty.removeAll(keepingCapacity: true)
        for connection in connections { connection.flushBatch() }
    }

    /// Ends a query: its figures, then its completion (on this thread).
    func complete(_ query: PendingQuery, _ outcome: Result<[PostgresResult], PostgresError>) {
        let failed = if case .failure = outcome { true } else { false }
        let elapsed = MonotonicClock.now() &- query.submittedAt
        statistics.recordCompletion(slot: query.first.slot, nanoseconds: elapsed, failed: failed)
        for part in query.rest { statistics.recordCompletion(slot: part.slot, nanoseconds: elapsed, failed: failed) }
        query.complete(outcome)
    }

    /// Hands queued queries to connections with room, in order.
    private func drainWaiting() {
        while !waiting.isEmpty, let connection = connectionWithRoom() {
            give(waiting.popFirst()!.query, to: connection)
        }
        publishGauges()
    }

    private func armQueueTimer() {
        guard queueTimer == nil, let head = waiting.first else { return }
        queueTimer = reactor.schedule(at: head.deadline) { [weak self] in
            guard let self else { return }
            queueTimer = nil
            let now = reactor.now
            while let head = waiting.first, head.deadline <= now {
                _ = waiting.popFirst()
                complete(head.query, .failure(.poolExhausted))
            }
            armQueueTimer()
            publishGauges()
        }
    }

    private func failWaiting(_ error: PostgresError) {
        for entry in waiting.removeAll() { complete(entry.query, .failure(error)) }
        if let queueTimer { reactor.cancel(queueTimer) }
        queueTimer = nil
    }

    func publishGauges() {
        var ready = 0, inUse = 0
        for connection in connections where connection.state == .ready {
            ready += 1
            if !connection.pipeline.isEmpty { inUse += 1 }
        }
        statistics.setGauges(connected: ready, inUse: inUse, waiting: waiting.count)
    }

    // MARK: Connection events

    func connectionBecameReady(_ connection: PostgresConnection) {
        markDirty(connection)
        guard connection.role == .queries else { return }
        startingUp = false
        if !health.isUp {
            logger.info("database connection established", metadata: ["reconnects": "\(statistics.snapshot.reconnects)"])
        }
        health.markUp()
        drainWaiting()
    }

    func connectionHasCapacity(_ connection: PostgresConnection) {
        if !waiting.isEmpty { drainWaiting() } else { publishGauges() }
    }

    func connectionFailed(_ connection: PostgresConnection, reason: String) {
        guard connection.role == .queries else { return }
        // The first failure of all is told (a wrong URL would otherwise go unsaid: the pool was
        // never up, so it never "went down"); later ones only when the pool goes down.
        if startingUp { logger.error("database connection failed", metadata: ["reason": "\(reason)"]) }
        startingUp = false
        noteDown(reason)
    }

    func connectionLost(_ connection: PostgresConnection, reason: String, failing queries: [PendingQuery]) {
        // Health first: a caller reacting to the failure then already sees the pool down.
        if connection.role == .queries { noteDown(reason) }
        for query in queries { complete(query, .failure(.unavailable(reason: reason))) }
        if connection.role == .listener { logger.warning("database listener connection lost", metadata: ["reason": "\(reason)"]) }
    }

    /// With no connection left, the pool is down: health says why, and queued queries fail now.
    private func noteDown(_ reason: String) {
        guard readyCount == 0 else { return publishGauges() }
        if health.isUp { logger.error("database unavailable", metadata: ["reason": "\(reason)"]) }
        health.markDown(reason: reason, now: MonotonicClock.now())
        failWaiting(.unavailable(reason: reason))
        publishGauges()
    }

    func commandFailed(_ command: InternalCommand, _ error: PostgresError) {
        logger.error("database setup statement failed", metadata: ["command": "\(command)", "error": "\(error)"])
    }

    // MARK: Shutdown

    func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        let reason = "pool shut down"
        failWaiting(.unavailable(reason: reason))
        if let stallCheck { reactor.cancel(stallCheck) }
        stallCheck = nil
        for connection in connections + [subscriptions.listener].compactMap({ $0 }) {
            for query in connection.close(reason) { complete(query, .failure(.unavailable(reason: reason))) }
        }
        health.markDown(reason: reason, now: MonotonicClock.now())
        publishGauges()
    }
}
