import VisibleLocks

/// Where the pool's loop records its figures and any thread reads them. One uncontended lock
/// per completed query (tens of nanoseconds beside a database round trip); statements are
/// addressed by the slot the pool gave their name, so recording needs no dictionary.
final class StatisticsRecorder: Sendable {
    private struct State {
        var figures = PostgresPoolStatistics()
        /// Per statement slot: its name and figures (folded into the dictionary on reading).
        var names: [String] = []
        var perStatement: [StatementStatistics] = []
    }

    private let state = VisibleMutex(State())

    var snapshot: PostgresPoolStatistics {
        state.withLock { state in
            var figures = state.figures
            for (slot, name) in state.names.enumerated() where state.perStatement[slot].count > 0 {
                figures.statements[name] = state.perStatement[slot]
            }
            return figures
        }
    }

    /// Makes room for the statement of slot `slot` (slots are handed out in order from 0).
    func addStatement(_ name: String, slot: Int) {
        state.withLock { state in
            while state.names.count <= slot {
                state.names.append(name)
                state.perStatement.append(StatementStatistics())
            }
        }
    }

    func recordCompletion(slot: Int, nanoseconds: UInt64, failed: Bool) {
        state.withLock { $0.perStatement[slot].record(nanoseconds: nanoseconds, failed: failed) }
    }

    func setGauges(connected: Int, inUse: Int, waiting: Int) {
        state.withLock { state in
            state.figures.connected = connected
            state.figures.inUse = inUse
            state.figures.idle = connected - inUse
            state.figures.waiting = waiting
        }
    }

    func countBatch(statements: Int) {
        state.withLock { state in
            state.figures.batches += 1
            state.figures.statementsSent += statements
        }
    }

    func countReconnect() { state.withLock { $0.figures.reconnects += 1 } }
    func countConnectionFailure() { state.withLock { $0.figures.connectionFailures += 1 } }
    func countNotification() { state.withLock { $0.figures.notifications += 1 } }
}
