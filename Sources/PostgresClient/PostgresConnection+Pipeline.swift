import CLibPQ
import Platform

/// The ready connection's traffic: everything given to it in one reactor turn is written as one
/// batch of pipelined statements (each query followed by its own Sync), and results are read as
/// they arrive, each completing the entry at the head of the pipeline.
extension PostgresConnection {
    /// Hands a caller's query to this connection; it goes out with the pool's next flush.
    func assign(_ query: PendingQuery) {
        pipeline.assign(query)
    }

    var hasUnsent: Bool { !pipeline.unsent.isEmpty || !pipeline.unsentCommands.isEmpty }

    /// Writes everything given since the last flush in one batch. On TCP the socket is corked
    /// meanwhile, so the batch leaves as one segment whatever the number of Syncs in it.
    func flushBatch() {
        guard state == .ready, let connection, hasUnsent else { return }
        if pipeline.entries.isEmpty { lastProgress = reactor.now }
        let fd = PQsocket(connection)
        let corked = pipeline.unsent.count + pipeline.unsentCommands.count > 1 && isolationd_pq_set_cork(fd, 1) == 0
        var statements = 0
        let commands = pipeline.unsentCommands
        pipeline.unsentCommands.removeAll()
        for command in commands {
            guard send(command, on: connection) else { return lose(ResultDecoding.connectionError(connection)) }
            statements += 1
        }
        let queries = pipeline.unsent
        pipeline.unsent.removeAll(keepingCapacity: true)
        for (index, query) in queries.enumerated() {
            guard send(query, on: connection) else {
                // The rest stays with the connection, which fails it as it is lost.
                pipeline.unsent = Array(queries[index...])
                return lose(ResultDecoding.connectionError(connection))
            }
            statements += 1
        }
        if corked { _ = isolationd_pq_set_cork(fd, 0) }
        pool.statistics.countBatch(statements: statements)
        flushOutput()
    }

    /// Sends a query's statements (each prepared first on its first use here) and its Sync.
    private func send(_ query: PendingQuery, on connection: OpaquePointer) -> Bool {
        guard send(query.first, on: connection) else { return false }
        for part in query.rest {
            guard send(part, on: connection) else { return false }
        }
        return sync(connection, completing: query)
    }

    private func send(_ part: QueryPart, on connection: OpaquePointer) -> Bool {
        if !pipeline.isPrepared(part.slot) {
            guard PQsendPrepare(connection, part.statement.name, part.statement.sql, 0, nil) == 1 else { return false }
            pipeline.setPrepared(part.slot, true)
            pipeline.entries.append(.prepare(slot: part.slot))
        }
        let parameters = ParameterBuffer(part.parameters)
        let sent = parameters.values.withUnsafeBufferPointer { values in
            parameters.lengths.withUnsafeBufferPointer { lengths in
                parameters.formats.withUnsafeBufferPointer { formats in
                    PQsendQueryPrepared(connection, part.statement.name, Int32(part.parameters.count),
                                        values.baseAddress, lengths.baseAddress, formats.baseAddress, 0)
                }
            }
        }
        guard sent == 1 else { return false }
        pipeline.entries.append(.statement)
        return true
    }

    private func send(_ command: InternalCommand, on connection: OpaquePointer) -> Bool {
        let sql: String
        switch command {
        case .setup:
            sql = "SET statement_timeout = \(pool.configuration.statementTimeout.milliseconds)"
        case .listen(let channel):
            guard let quoted = PQescapeIdentifier(connection, channel, channel.utf8.count) else { return false }
            sql = "LISTEN \(String(cString: quoted))"
            PQfreemem(quoted)
            listensAwaited += 1
        }
        guard PQsendQueryParams(connection, sql, 0, nil, nil, nil, nil, 0) == 1 else { return false }
        pipeline.entries.append(.command(command))
        return sync(connection, completing: nil)
    }

    private func sync(_ connection: OpaquePointer, completing query: PendingQuery?) -> Bool {
        guard PQpipelineSync(connection) == 1 else { return false }
        pipeline.entries.append(.sync(query))
        return true
    }

    /// Pushes libpq's buffered output; watches for writability while some is left.
    func flushOutput() {
        guard let connection else { return }
        switch PQflush(connection) {
        case 0:
            if outputPending { watch(Epoll.input) }
            outputPending = false
        case 1:
            if !outputPending { watch(Epoll.input | Epoll.output) }
            outputPending = true
        default:
            lose(ResultDecoding.connectionError(connection))
        }
    }

    func handleReadiness(_ events: UInt32) {
        guard let connection else { return }
        if events & (Epoll.input | Epoll.error | Epoll.hangUp) != 0 {
            guard PQconsumeInput(connection) == 1 else { return lose(ResultDecoding.connectionError(connection)) }
            lastProgress = reactor.now
            readResults(connection)
            deliverNotifications(connection)
            guard state == .ready else { return }
            if PQstatus(connection) == CONNECTION_BAD { return lose(ResultDecoding.connectionError(connection)) }
        }
        // libpq's rule for non-blocking writes: after input was consumed, flush again too.
        if outputPending { flushOutput() }
        guard state == .ready else { return }
        pool.connectionHasCapacity(self)
    }

    /// Reads every result that arrived, in pipeline order, completing entries as their results end.
    private func readResults(_ connection: OpaquePointer) {
        // libpq ends each statement's results with NULL; a second NULL in a row at a Sync means
        // nothing more has arrived yet.
        var nullsInARow = 0
        while state == .ready, PQisBusy(connection) == 0 {
            guard let head = pipeline.entries.first else {
                // Nothing awaited: drop anything unexpected (libpq says NULL when nothing is there).
                guard let stray = PQgetResult(connection) else { return }
                PQclear(stray)
                continue
            }
            let result = PQgetResult(connection)
            if case .sync(let query) = head {
                guard let result else {
                    nullsInARow += 1
                    if nullsInARow > 1 { return }
                    continue
                }
                nullsInARow = 0
                let status = PQresultStatus(result)
                if status != PGRES_PIPELINE_SYNC, pipeline.groupError == nil {
                    // An error at the group's end: its commit failed (a deferred constraint, a
                    // serialization failure), or the server is going away.
                    pipeline.groupError = ResultDecoding.error(result)
                }
                PQclear(result)
                if status == PGRES_PIPELINE_SYNC {
                    _ = pipeline.entries.popFirst()
                    endGroup(completing: query)
                }
                continue
            }
            if let result {
                nullsInARow = 0
                if pipeline.current == nil { pipeline.current = decode(result) }
                PQclear(result)
                continue
            }
            // NULL: the head entry's results are complete.
            nullsInARow = 1
            _ = pipeline.entries.popFirst()
            let outcome = pipeline.current ?? .failure(.unavailable(reason: "no result from the server"))
            pipeline.current = nil
            finish(head, outcome)
        }
    }

    /// The group's Sync came back: its statements are committed, or all rolled back with the
    /// group's first error.
    private func endGroup(completing query: PendingQuery?) {
        let error = pipeline.groupError
        let results = pipeline.collected
        pipeline.groupError = nil
        pipeline.collected.removeAll()
        guard let query else { return }
        pipeline.completedOne()
        pool.complete(query, error.map { .failure($0) } ?? .success(results))
    }

    private func decode(_ result: OpaquePointer) -> Result<PostgresResult, PostgresError> {
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return .success(ResultDecoding.result(result))
        case PGRES_PIPELINE_ABORTED:
            return .failure(pipeline.groupError ?? .unavailable(reason: "statement skipped after an earlier error"))
        default:
            return .failure(ResultDecoding.error(result))
        }
    }

    private func finish(_ entry: PipelineEntry, _ outcome: Result<PostgresResult, PostgresError>) {
        switch entry {
        case .prepare(let slot):
            if case .failure(let error) = outcome {
                if pipeline.groupError == nil { pipeline.groupError = error }
                pipeline.setPrepared(slot, false)
            }
        case .statement:
            switch outcome {
            case .success(let result): pipeline.collected.append(result)
            case .failure(let error): if pipeline.groupError == nil { pipeline.groupError = error }
            }
        case .command(let command):
            if case .failure(let error) = outcome { pool.commandFailed(command, error) }
            if case .listen = command {
                listensAwaited -= 1
                if listensAwaited == 0 { pool.listenerIsListening() }
            }
        case .sync:
            break
        }
    }

    private func deliverNotifications(_ connection: OpaquePointer) {
        while let notification = PQnotifies(connection) {
            let channel = String(cString: notification.pointee.relname)
            let payload = notification.pointee.extra.map { String(cString: $0) } ?? ""
            PQfreemem(notification)
            pool.deliver(channel: channel, payload: payload)
        }
    }
}
