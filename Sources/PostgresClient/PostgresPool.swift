import Logging
import Platform
import VisibleLocks

/// A bounded pool of PostgreSQL connections on a reactor thread of its own ("db"), through
/// libpq's asynchronous API in pipeline mode: no thread ever waits on the database.
///
/// Each query goes to the least loaded connection whose pipeline has room; the queries a
/// connection is given in one reactor turn are written together, in one round trip (each with
/// its own Sync, so it runs in its own implicit transaction and its error fails only itself).
/// A query's completion comes once its transaction has committed: what it wrote is then
/// visible to every later query, on any connection.
/// With every pipeline full, queries wait in a bounded queue, briefly (`queueTimeout`). With no
/// connection up, they fail `.unavailable` at once, while connections are retried with backoff:
/// the pool recovers by itself once the server is back.
public final class PostgresPool: Sendable {
    private let reactor: Reactor
    private let core: LoopBound<PoolCore>
    private let recorder: StatisticsRecorder
    private let healthState: HealthState
    /// Open until `shutdown`: checked and used under one lock, so no query is posted to a loop
    /// that has already stopped (its completion would never run).
    private let gate = VisibleMutex(true)
    private let thread: VisibleMutex<ReactorThread?>

    /// Starts the pool's thread and its connections (in the background: `health` turns `.up`
    /// once one is established; queries sent before then wait for it, up to `queueTimeout`).
    public init(configuration: PostgresConfiguration, logger: Logger) throws {
        try PostgresLibrary.load()
        let reactor = try Reactor(name: "db")
        let recorder = StatisticsRecorder()
        let healthState = HealthState(now: MonotonicClock.now())
        let core = LoopBound(PoolCore(configuration: configuration, reactor: reactor, logger: logger,
                                      statistics: recorder, health: healthState), on: reactor)
        self.reactor = reactor
        self.core = core
        self.recorder = recorder
        self.healthState = healthState
        reactor.execute { core.value.start() }
        thread = VisibleMutex(try ReactorThread.start(name: "db") { reactor.run() })
    }

    deinit { shutdown() }

    /// Runs `statement` with `parameters`. `completion` is called exactly once, on the pool's
    /// reactor thread: it must not block; callers hop to their own loop themselves.
    public func execute(_ statement: PreparedStatement, _ parameters: [PostgresValue],
                        completion: @escaping @Sendable (Result<PostgresResult, PostgresError>) -> Void) {
        let submittedAt = MonotonicClock.now()
        let core = self.core
        let posted = gate.withLock { open in
            if open {
                reactor.execute { core.value.submit(statement, parameters, submittedAt: submittedAt, completion: .single(completion)) }
            }
            return open
        }
        if !posted { completion(.failure(.unavailable(reason: "pool shut down"))) }
    }

    /// Runs `statements` in order as one transaction, on one connection in one round trip: all
    /// of them commit, or none (the first error fails the whole, and the rest are not run).
    /// `completion` gets one result per statement, on the pool's reactor thread. No BEGIN or
    /// COMMIT is needed (nor allowed): the statements share the pipeline's implicit transaction.
    public func executeTransaction(_ statements: [(PreparedStatement, [PostgresValue])],
                                   completion: @escaping @Sendable (Result<[PostgresResult], PostgresError>) -> Void) {
        let submittedAt = MonotonicClock.now()
        let core = self.core
        let posted = gate.withLock { open in
            if open {
                reactor.execute { core.value.submit(statements, submittedAt: submittedAt, completion: .all(completion)) }
            }
            return open
        }
        if !posted { completion(.failure(.unavailable(reason: "pool shut down"))) }
    }

    /// Subscribes to NOTIFY on `channel`, through one dedicated connection for all channels. It
    /// LISTENs again after every reconnect; `onListening` runs each time its LISTENs are (again)
    /// in place (the first time included), so the caller can re-read what it may have missed
    /// while there were none. Both callbacks run on the pool's reactor thread.
    public func listen(channel: String, onListening: (@Sendable () -> Void)? = nil,
                       onNotification: @escaping @Sendable (_ payload: String) -> Void) {
        let core = self.core
        gate.withLock { open in
            guard open else { return }
            reactor.execute { core.value.listen(channel: channel, onListening: onListening, onNotification: onNotification) }
        }
    }

    /// `.up` while at least one query connection is established. Any thread.
    public var health: PostgresHealth { healthState.value }

    /// The pool's figures now. Any thread.
    public var statistics: PostgresPoolStatistics { recorder.snapshot }

    /// Fails what is queued or in flight with `.unavailable`, closes the connections and joins
    /// the pool's thread. Idempotent; later queries fail at once.
    public func shutdown() {
        let core = self.core
        let wasOpen = gate.withLock { open in
            defer { open = false }
            if open { reactor.execute { core.value.shutdown() } }
            return open
        }
        if wasOpen { reactor.stop() }
        let thread = self.thread.withLock { thread in
            defer { thread = nil }
            return thread
        }
        thread?.join()
    }
}
