/// Serializes envelopes (SPEC.md §4). Member order: the identity of the run first (the same for
/// all of a run's events, so its bytes are cached per user: `EnvelopePrefix`), then type,
/// timestamp and data, and the per-user id last — `{"user_id":…,…,"agent":…,"type":…,
/// "timestamp":…,"data":{…},"id":N}`. Member order carries no meaning in JSON; this one lets
/// everything but the id be built outside any lock, and the id be appended in place under the
/// user's lock into room reserved for it.
enum EventEnvelopeEncoder {
    /// Room kept at the end of a body for `,"id":N}` (UInt64 has at most 20 digits).
    static let idReserve = 28

    /// `{"user_id":…,"thread_id":…,"run_id":…,"execution_id":…,"request_id":…,"engine_id":…,
    /// "agent":…` for a draft's identity.
    static func prefix(_ draft: EventDraft) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        func field(_ name: StaticString, _ value: String) {
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            EventJSON.writeString(value, into: &out)
        }
        field(#"{"user_id":"#, draft.identity.userID)
        field(#","thread_id":"#, draft.identity.threadID)
        field(#","run_id":"#, draft.identity.runID)
        field(#","execution_id":"#, draft.executionID)
        field(#","request_id":"#, draft.identity.requestID)
        field(#","engine_id":"#, draft.identity.engineID)
        field(#","agent":"#, draft.agent)
        return out
    }

    /// The envelope without its id: prefix, type, timestamp and data, with `idReserve` bytes of
    /// spare capacity. The data is checked by `sanitizer` as it is written; the sanitised form is
    /// written instead when it needs changing, and a summary object when its JSON exceeds
    /// `maxDataBytes`. Returns that replacement data, if any (nil: `draft.data` is what was
    /// written). Everything goes into the one array that becomes the event's JSON.
    static func encodeBody(_ draft: EventDraft, prefix: [UInt8], sanitizer: EventSanitizer,
                           maxDataBytes: Int) -> (body: [UInt8], data: JSONValue?) {
        var data: JSONValue?
        let typeName = draft.type.staticName
        // Int64 nanoseconds end in 2262, so a non-negative time always has the 24-byte form.
        let slowTimestamp: [UInt8]? = draft.timestamp.nanoseconds >= 0 ? nil : Array(draft.timestamp.iso8601.utf8)
        let headBytes = prefix.count + literalBytes + typeName.utf8CodeUnitCount + (slowTimestamp?.count ?? 24)
        var body: [UInt8] = []
        body.reserveCapacity(headBytes + dataEstimate + idReserve)
        body.append(contentsOf: prefix)
        append(#","type":""#, to: &body)
        append(typeName, to: &body)
        append(#"","timestamp":""#, to: &body)
        if let slowTimestamp {
            body.append(contentsOf: slowTimestamp)
        } else {
            // Written on the stack and appended in one go (no zero-fill pass over the array).
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Timestamp.iso8601Length) { text in
                Timestamp.writeISO8601(nanoseconds: draft.timestamp.nanoseconds, to: text.baseAddress.unsafelyUnwrapped)
                body.append(contentsOf: UnsafeBufferPointer(text))
            }
        }
        append(#"","data":"#, to: &body)
        let dataStart = body.count
        if !sanitizer.writeIfClean(draft.data, into: &body) {
            let sanitized = sanitizer.sanitize(draft.data)
            data = sanitized
            body.removeSubrange(dataStart...)
            sanitized.write(into: &body, memberOrder: .asStored)
        }
        if body.count - dataStart > maxDataBytes {
            // Too big to fan out even after per-value bounds: say so instead of sending it.
            let summary: JSONValue = .object(["truncated": .bool(true), "original_bytes": .integer(Int64(body.count - dataStart))])
            data = summary
            body.removeSubrange(dataStart...)
            summary.write(into: &body, memberOrder: .asStored)
        }
        // Room for `,"id":N}` so `finish` (under the user's lock) never reallocates.
        if body.capacity - body.count < idReserve { body.reserveCapacity(body.count + idReserve) }
        return (body, data)
    }

    /// Bytes reserved for the data up front: most events' data fits, larger ones grow the array.
    private static let dataEstimate = 200

    @inline(__always)
    private static func append(_ text: StaticString, to body: inout [UInt8]) {
        body.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Bytes of the literal parts written by `encodeBody` around type, timestamp and data.
    private static let literalBytes = #","type":""#.utf8.count + #"","timestamp":""#.utf8.count + #"","data":"#.utf8.count

    /// Completes a body from `encodeBody` with `,"id":N}` (within the reserved room).
    static func finish(_ body: inout [UInt8], id: UInt64) {
        let marker: StaticString = #","id":"#
        marker.withUTF8Buffer { body.append(contentsOf: $0) }
        EventJSON.writeUnsigned(id, into: &body)
        body.append(UInt8(ascii: "}"))
    }
}

/// A run identity's encoded envelope prefix, kept by the user's channel for the next event of
/// the same run. Matching compares strings, which is cheap when they share storage (an engine
/// stamps every event of a run from the same context values).
final class EnvelopePrefix: Sendable {
    let identity: EventIdentity
    let executionID: String
    let agent: String
    let bytes: [UInt8]

    init(_ draft: EventDraft) {
        identity = draft.identity
        executionID = draft.executionID
        agent = draft.agent
        bytes = EventEnvelopeEncoder.prefix(draft)
    }

    func matches(_ draft: EventDraft) -> Bool {
        draft.executionID == executionID && draft.identity == identity && draft.agent == agent
    }
}
