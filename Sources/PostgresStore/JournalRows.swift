import ExecutionCore
import PostgresClient

/// Rows of `JournalStatements.read` and `findRun` turned into the core's values. A row this
/// service did not write (an unknown type or state) fails the read instead of being skipped:
/// skipping would leave a hole in a user's ids that nobody could explain.
enum JournalRows {
    /// Columns: last_id, id, type, execution_id, thread_id, run_id, request_id, engine_id, agent,
    /// published_ns, body; a single row with NULL event columns when there is no event.
    static func page(_ answer: PostgresResult, userID: String) -> Result<JournalPage, JournalError> {
        var events: [PublishedEvent] = []
        events.reserveCapacity(answer.rows.count)
        var lastID: UInt64 = 0
        for row in answer.rows {
            if let last = row.int(0) { lastID = UInt64(clamping: last) }
            guard !row.isNull(1) else { continue }
            guard let id = row.int(1), let typeName = row[2], let type = EventType(rawValue: typeName),
                  let executionID = row[3], let threadID = row[4], let runID = row[5], let requestID = row[6],
                  let engineID = row[7], let agent = row[8], let published = row.int(9), let body = row[10]
            else { return .failure(JournalError("a stored event could not be decoded")) }
            let identity = EventIdentity(userID: userID, threadID: threadID, runID: runID, requestID: requestID,
                                         engineID: engineID)
            events.append(.restored(id: UInt64(clamping: id), type: type, identity: identity, executionID: executionID,
                                    agent: agent, timestamp: Timestamp(nanoseconds: published), body: bodyBytes(body)))
        }
        return .success(JournalPage(events: events, lastID: lastID))
    }

    /// The body's bytes with room for the `,"id":N}` that `PublishedEvent.restored` appends, so
    /// that append does not copy the array again (28 bytes: the encoder's `idReserve`).
    private static func bodyBytes(_ body: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(body.utf8.count + 28)
        bytes.append(contentsOf: body.utf8)
        return bytes
    }

    /// Columns: engine_id, thread_id, run_id, agent, state, reason, error, result, created_ns,
    /// started_ns, ended_ns. A record's creation time is its queued time, else its start (a run
    /// that never queued), else its end.
    static func run(_ row: PostgresRow, executionID: String, userID: String) -> Result<RunSnapshot, JournalError> {
        guard let engineID = row[0], let threadID = row[1], let runID = row[2], let agent = row[3],
              let stateName = row[4], let state = RunState(rawValue: stateName)
        else { return .failure(JournalError("a stored run record could not be decoded")) }
        var result: JSONValue?
        if let text = row[7] {
            guard let parsed = try? JSONValue.parse(text) else {
                return .failure(JournalError("a stored run result is not JSON"))
            }
            result = parsed
        }
        let startedAt = row.int(9).map(Timestamp.init(nanoseconds:))
        let endedAt = row.int(10).map(Timestamp.init(nanoseconds:))
        let createdAt = row.int(8).map(Timestamp.init(nanoseconds:)) ?? startedAt ?? endedAt ?? Timestamp(nanoseconds: 0)
        return .success(RunSnapshot(id: executionID, engineID: engineID, userID: userID, threadID: threadID, runID: runID,
                                    agent: agent, state: state, reason: row[5], errorMessage: row[6], result: result,
                                    createdAt: createdAt, startedAt: startedAt, endedAt: endedAt))
    }
}
