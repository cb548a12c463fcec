/// A connection's queries between the pool and the server: those given to it and not yet
/// written (`unsent`, written together at the pool's next flush), those written and awaiting
/// their results (`entries`, in pipeline order), and what the result reader has gathered so
/// far. Plain data; `PostgresConnection` drives it on the pool's loop.
struct ConnectionPipeline {
    var entries = FIFO<PipelineEntry>()
    var unsent: [PendingQuery] = []
    var unsentCommands: [InternalCommand] = []
    /// Per statement slot: whether this connection has sent its PQsendPrepare.
    var prepared: [Bool] = []
    /// The first error of the current sync group (a failed prepare or statement, or the commit):
    /// the statements after it come back PGRES_PIPELINE_ABORTED, and the group's query fails
    /// with this.
    var groupError: PostgresError?
    /// The head entry's result, read but not yet ended by libpq's NULL.
    var current: Result<PostgresResult, PostgresError>?
    /// The current group's statement results so far.
    var collected: [PostgresResult] = []
    /// Caller queries given to this connection and not completed (unsent and in flight).
    private(set) var load = 0

    var isEmpty: Bool { load == 0 }

    mutating func assign(_ query: PendingQuery) {
        unsent.append(query)
        load += 1
    }

    mutating func completedOne() { load -= 1 }

    mutating func isPrepared(_ slot: Int) -> Bool { slot < prepared.count && prepared[slot] }

    mutating func setPrepared(_ slot: Int, _ value: Bool) {
        if slot >= prepared.count { prepared.append(contentsOf: repeatElement(false, count: slot + 1 - prepared.count)) }
        prepared[slot] = value
    }

    /// Empties everything (the connection is gone): the caller queries it held, in order, to be
    /// failed; the connection's prepared statements went with it.
    mutating func removeAllQueries() -> [PendingQuery] {
        var queries = [PendingQuery]()
        for entry in entries.removeAll() {
            if case .sync(let query?) = entry { queries.append(query) }
        }
        queries.append(contentsOf: unsent)
        unsent.removeAll()
        unsentCommands.removeAll()
        prepared.removeAll()
        groupError = nil
        current = nil
        collected.removeAll()
        load = 0
        return queries
    }
}
