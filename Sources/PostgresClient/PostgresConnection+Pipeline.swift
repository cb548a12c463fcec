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

    private func send(_ query: PendingQuery, on connection: OpaquePointer) -> Bool {
        if !pipeline.isPrepared(query.slot) {
            guard PQsendPrepare(connection, query.statement.name, query.statement.sql, 0, nil) == 1 else { return false }
            pipeline.setPrepared(query.slot, true)
            pipeline.entries.append(.prepare(slot: query.slot))
        }
        let parameters = ParameterBuffer(query.parameters)
        let sent = parameters.values.withUnsafeBufferPointer { values in
            parameters.lengths.withUnsafeBufferPointer { lengths in
                parameters.formats.withUnsafeBufferPointer { formats in
                    PQsendQueryPrepared(connection, query.statement.name, Int32(query.parameters.count),
                                        values.baseAddress, lengths.baseAddress, formats.baseAddress, 0)
                }
            }
        }
        guard sent == 1 else { return false }
        pipeline.entries.append(.query(query))
        return sync(connection)
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
        return sync(connection)
    }

    private func sync(_ connection: OpaquePointer) -> Bool {
        guard PQpipelineSync(connection) == 1 else { return false }
        pipeline.entries.append(.sync)
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
        while state == .ready, PQisBusy(connection) == 0 {
            guard let head = pipeline.entries.first else {
                // Nothing awaited: drop anything unexpected (libpq says NULL when nothing is there).
                guard let stray = PQgetResult(connection) else { return }
                PQclear(stray)
                continue
            }
            let result = PQgetResult(connection)
            if case .sync = head {
                guard let result else { return }
                let status = PQresultStatus(result)
                if status != PGRES_PIPELINE_SYNC, pipeline.current == nil {
                    // An error outside any statement (the server is going away): the connection
                    // check after reading handles it.
                    pipeline.current = .failure(ResultDecoding.error(result))
                }
                PQclear(result)
                if status == PGRES_PIPELINE_SYNC {
                    _ = pipeline.entries.popFirst()
                    pipeline.groupError = nil
                    pipeline.current = nil
                }
                continue
            }
            if let result {
                if pipeline.current == nil { pipeline.current = decode(result) }
                PQclear(result)
                continue
            }
            // NULL: the head entry's results are complete.
            _ = pipeline.entries.popFirst()
            let outcome = pipeline.current ?? .failure(.unavailable(reason: "no result from the server"))
            pipeline.current = nil
            finish(head, outcome)
        }
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
                pipeline.groupError = error
                pipeline.setPrepared(slot, false)
            }
        case .query(let query):
            pipeline.completedOne()
            pool.complete(query, outcome)
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
