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
    /// spare capacity. `data` replaces `draft.data` when set (sanitised). Returns the data that
    /// differs from `draft.data`, if any: `data`, or a summary object when the JSON of the data
    /// exceeds `maxDataBytes`.
    static func encodeBody(_ draft: EventDraft, prefix: [UInt8], data: JSONValue?,
                           maxDataBytes: Int) -> (body: [UInt8], data: JSONValue?) {
        var data = data
        var dataBytes: [UInt8] = []
        dataBytes.reserveCapacity(128)
        (data ?? draft.data).write(into: &dataBytes, memberOrder: .asStored)
        if dataBytes.count > maxDataBytes {
            // Too big to fan out even after per-value bounds: say so instead of sending it.
            let summary: JSONValue = .object(["truncated": .bool(true), "original_bytes": .integer(Int64(dataBytes.count))])
            data = summary
            dataBytes.removeAll(keepingCapacity: true)
            summary.write(into: &dataBytes, memberOrder: .asStored)
        }
        // Int64 nanoseconds end in 2262, so a non-negative time always has the 24-byte form.
        let slowTimestamp: [UInt8]? = draft.timestamp.nanoseconds >= 0 ? nil : Array(draft.timestamp.iso8601.utf8)
        let timestampBytes = slowTimestamp?.count ?? 24
        let typeName = draft.type.staticName
        let total = prefix.count + literalBytes + typeName.utf8CodeUnitCount + timestampBytes + dataBytes.count + idReserve
        let body = [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            let start = buffer.baseAddress.unsafelyUnwrapped
            var writer = RawWriter(start)
            prefix.withUnsafeBufferPointer { writer.bytes($0) }
            writer.literal(#","type":""#)
            writer.literal(typeName)
            writer.literal(#"","timestamp":""#)
            if let slowTimestamp {
                slowTimestamp.withUnsafeBufferPointer { writer.bytes($0) }
            } else {
                Timestamp.writeISO8601(nanoseconds: draft.timestamp.nanoseconds, to: writer.position)
                writer.advance(24)
            }
            writer.literal(#"","data":"#)
            dataBytes.withUnsafeBufferPointer { writer.bytes($0) }
            count = writer.position - start
        }
        return (body, data)
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

/// Writes bytes through a raw pointer into memory sized beforehand by the caller.
private struct RawWriter {
    var position: UnsafeMutablePointer<UInt8>

    init(_ start: UnsafeMutablePointer<UInt8>) { position = start }

    @inline(__always)
    mutating func advance(_ count: Int) { position += count }

    @inline(__always)
    mutating func literal(_ text: StaticString) {
        position.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        position += text.utf8CodeUnitCount
    }

    @inline(__always)
    mutating func bytes(_ source: UnsafeBufferPointer<UInt8>) {
        guard let base = source.baseAddress, source.count > 0 else { return }
        position.update(from: base, count: source.count)
        position += source.count
    }
}
