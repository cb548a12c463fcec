import ExecutionCore
import PostgresClient

/// A batch of journal entries as the parameters of `JournalStatements.append`: the replica's
/// name, then one binary array per column of `isod_append_events`, element i of each being
/// entry i. One pass over the batch; per entry, its strings' bytes are copied once.
enum JournalBatch {
    static func parameters(replicaID: String, batch: [JournalEntry]) -> [PostgresValue] {
        let count = batch.count
        var bodyBytes = 0
        for entry in batch { bodyBytes += entry.envelope.json.count }
        var users = BinaryArrayColumn(.text, count: count, capacity: count * 16)
        var types = BinaryArrayColumn(.text, count: count, capacity: count * 14)
        var executions = BinaryArrayColumn(.text, count: count, capacity: count * 36)
        var threads = BinaryArrayColumn(.text, count: count, capacity: count * 16)
        var runs = BinaryArrayColumn(.text, count: count, capacity: count * 16)
        var requests = BinaryArrayColumn(.text, count: count, capacity: count * 36)
        var engines = BinaryArrayColumn(.text, count: count, capacity: count * 36)
        var agents = BinaryArrayColumn(.text, count: count, capacity: count * 8)
        var published = BinaryArrayColumn(.int8, count: count, capacity: count * 8)
        var bodies = BinaryArrayColumn(.text, count: count, capacity: bodyBytes)
        var states = BinaryArrayColumn(.text, count: count)
        var created = BinaryArrayColumn(.int8, count: count)
        var started = BinaryArrayColumn(.int8, count: count)
        var ended = BinaryArrayColumn(.int8, count: count)
        var reasons = BinaryArrayColumn(.text, count: count)
        var errors = BinaryArrayColumn(.text, count: count)
        var results = BinaryArrayColumn(.text, count: count)
        for entry in batch {
            let envelope = entry.envelope
            users.append(envelope.identity.userID)
            types.append(envelope.type.rawValue)
            executions.append(envelope.executionID)
            threads.append(envelope.identity.threadID)
            runs.append(envelope.identity.runID)
            requests.append(envelope.identity.requestID)
            engines.append(envelope.identity.engineID)
            agents.append(envelope.agent)
            published.append(envelope.timestamp.nanoseconds)
            bodies.append(utf8: envelope.json)
            let change = entry.run
            states.append(change?.state.rawValue)
            created.append(change?.createdAt?.nanoseconds)
            started.append(change?.startedAt?.nanoseconds)
            ended.append(change?.endedAt?.nanoseconds)
            reasons.append(change?.reason)
            errors.append(change?.errorMessage)
            results.append(change?.resultJSON)
        }
        return [
            .text(replicaID), users.parameter, types.parameter, executions.parameter, threads.parameter,
            runs.parameter, requests.parameter, engines.parameter, agents.parameter, published.parameter,
            bodies.parameter, states.parameter, created.parameter, started.parameter, ended.parameter,
            reasons.parameter, errors.parameter, results.parameter,
        ]
    }

    /// The ids of `{1,2,3}` (a bigint[]'s text form), nil when it is not one.
    static func ids(_ text: String) -> [UInt64]? {
        var ids: [UInt64] = []
        var current: UInt64 = 0
        var digits = 0
        var utf8 = text.utf8.makeIterator()
        guard utf8.next() == UInt8(ascii: "{") else { return nil }
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (times, overflowed) = current.multipliedReportingOverflow(by: 10)
                let (sum, carried) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                guard !overflowed, !carried else { return nil }
                current = sum
                digits += 1
            case UInt8(ascii: ","), UInt8(ascii: "}"):
                if digits > 0 { ids.append(current) } else if byte == UInt8(ascii: ",") { return nil }
                current = 0
                digits = 0
                if byte == UInt8(ascii: "}") { return utf8.next() == nil ? ids : nil }
            default:
                return nil
            }
        }
        return nil
    }
}
