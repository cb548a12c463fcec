import Synchronization

/// The bytes of request bodies being buffered across every connection of a server, and their
/// bound (`HTTPServerConfiguration.maxBodiesInFlightBytes`, issue 12, item 3). Per-route limits
/// bound one body; this bounds them all together, so many connections each sending a body
/// within its route's limit cannot add up to an unbounded amount of memory.
///
/// A body reserves its bytes before they are read: a Content-Length body all of them when its
/// head arrives, a chunked body in steps as it grows (`chunkedStep`). A reservation that does not
/// fit is refused (the connection answers 503 with `Retry-After` and closes without reading the
/// body); it is never waited for, so no connection holds a loop or a slot while it waits.
/// Reservations are held by the body's state (`BodyState`) and released by its deinit, whichever
/// way that state ends: complete, refused, timed out, or the connection closed.
///
/// Touched once per body (twice for a chunked one per `chunkedStep`), never per request without
/// a body: a relaxed compare-and-swap on one shared word.
final class RequestBodyBudget: Sendable {
    /// Chunked bodies reserve in steps of this size (not per decoded byte).
    static let chunkedStep = 64 * 1024

    /// 0: no bound (nothing is counted).
    let limit: Int
    private let inFlight = Atomic<Int>(0)
    /// Bodies refused because the budget was full.
    let refused = Atomic<Int>(0)

    init(limit: Int) { self.limit = max(0, limit) }

    /// Counts `bytes` more in flight, unless that would pass the limit; false: refuse the body.
    func reserve(_ bytes: Int) -> Bool {
        guard limit > 0, bytes > 0 else { return true }
        var current = inFlight.load(ordering: .relaxed)
        while true {
            guard bytes <= limit - current else {
                refused.wrappingAdd(1, ordering: .relaxed)
                return false
            }
            let (exchanged, original) = inFlight.compareExchange(expected: current, desired: current + bytes,
                                                                 ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    /// Gives back bytes `reserve` granted.
    func release(_ bytes: Int) {
        guard limit > 0, bytes > 0 else { return }
        inFlight.wrappingSubtract(bytes, ordering: .relaxed)
    }

    /// Bytes reserved now (metrics, tests).
    var bytesInFlight: Int { inFlight.load(ordering: .relaxed) }
}
