/// The replay ring's budget. Events are not requests: a publish is never refused (a run's
/// terminal event must reach its subscribers), so when the user's (or the global) budget cannot
/// take a new event, the ring lets its oldest events go until it can — a client resuming from
/// before them gets an explicit gap, as for any ring eviction. When even that is not enough (the
/// user's budget is full of other things), the ring keeps just the newest event, charged
/// whatever the budget says: bounded by one event's size (`events.max_data_bytes`).
extension EventHub {
    /// Charges (or releases) what `log` grew by since `bytesBefore` after one append that changed
    /// its count by `itemsDelta`; returns how many more events it dropped to make room.
    static func settleRingCharge(_ log: inout any EventLog, bytesBefore: Int, itemsDelta: Int, userID: String,
                                 ledger: RetainedBytesLedger) -> Int {
        var grown = log.retainedBytes - bytesBefore
        var items = itemsDelta
        var dropped = 0
        while true {
            if grown <= 0 {
                ledger.release(userID, .events, bytes: -grown, items: -items)
                return dropped
            }
            guard ledger.charge(userID, .events, bytes: grown, items: items, countingRefusal: false) != nil else { return dropped }
            guard log.retainedCount > 1, let freed = log.dropOldest() else {
                ledger.forceCharge(userID, .events, bytes: grown, items: items)
                return dropped
            }
            grown -= freed
            items -= 1
            dropped += 1
        }
    }
}
