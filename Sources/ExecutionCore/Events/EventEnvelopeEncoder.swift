/// Serializes envelopes (SPEC.md §4) in two steps so the part that needs the per-user id is a
/// few bytes appended under the user's lock: everything else is encoded first, outside any lock.
/// The id is the last member (`{"type":…,"data":{…},"id":N}`); member order carries no meaning
/// in JSON, and this way the buffer built outside the lock is completed in place, not copied.
enum EventEnvelopeEncoder {
    /// `{"type":…,"user_id":…,…,"data":{…}` (not closed). Returns the data actually encoded:
    /// `draft.data`, or a summary object when it exceeds `maxDataBytes`.
    static func encodeBody(_ draft: EventDraft, data: JSONValue, maxDataBytes: Int) -> (body: [UInt8], data: JSONValue) {
        var out: [UInt8] = []
        out.reserveCapacity(384)
        out.append(UInt8(ascii: "{"))
        field("type", draft.type.rawValue, first: true, into: &out)
        field("user_id", draft.identity.userID, into: &out)
        field("thread_id", draft.identity.threadID, into: &out)
        field("run_id", draft.identity.runID, into: &out)
        field("execution_id", draft.executionID, into: &out)
        field("request_id", draft.identity.requestID, into: &out)
        field("engine_id", draft.identity.engineID, into: &out)
        field("agent", draft.agent, into: &out)
        out.append(contentsOf: #","timestamp":""#.utf8)
        writeTimestamp(draft.timestamp, into: &out)
        out.append(contentsOf: #"","data":"#.utf8)
        let dataStart = out.count
        data.write(into: &out)
        var data = data
        if out.count - dataStart > maxDataBytes {
            // Too big to fan out even after per-value bounds: say so instead of sending it.
            let original = out.count - dataStart
            out.removeSubrange(dataStart...)
            data = .object(["truncated": .bool(true), "original_bytes": .integer(Int64(original))])
            data.write(into: &out)
        }
        out.reserveCapacity(out.count + 28) // room for `,"id":N}` so `finish` never reallocates
        return (out, data)
    }

    /// Completes a body from `encodeBody` with `,"id":N}`.
    static func finish(_ body: inout [UInt8], id: UInt64) {
        body.append(contentsOf: #","id":"#.utf8)
        writeUnsigned(id, into: &body)
        body.append(UInt8(ascii: "}"))
    }

    @inline(__always)
    private static func field(_ name: StaticString, _ value: String, first: Bool = false, into out: inout [UInt8]) {
        if !first { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: #"":"#.utf8)
        writeString(value, into: &out)
    }

    /// A JSON string literal. Same output as `JSONValue.writeString`; the common case (ids and
    /// names with nothing to escape) is one bounds check per byte and a single copy.
    @inline(__always)
    static func writeString(_ value: String, into out: inout [UInt8]) {
        let copied: Bool? = value.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes where byte < 0x20 || byte == 0x22 || byte == 0x5C { return false }
            out.append(0x22)
            out.append(contentsOf: bytes)
            out.append(0x22)
            return true
        }
        if copied != true { JSONValue.writeString(value, into: &out) }
    }

    static func writeUnsigned(_ value: UInt64, into out: inout [UInt8]) {
        var magnitude = value
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[start...].reverse()
    }

    /// The same text as `Timestamp.iso8601` ("2026-11-26T07:27:23.123Z"), written without
    /// `gmtime_r` or temporary arrays: this runs once per published event.
    static func writeTimestamp(_ timestamp: Timestamp, into out: inout [UInt8]) {
        let ns = timestamp.nanoseconds
        // Int64 nanoseconds end in 2262, so every non-negative value has a four-digit year.
        guard ns >= 0 else {
            out.append(contentsOf: timestamp.iso8601.utf8)
            return
        }
        let totalSeconds = ns / 1_000_000_000
        let millis = Int((ns % 1_000_000_000) / 1_000_000)
        let days = totalSeconds / 86_400
        let secondOfDay = Int(totalSeconds % 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        digits(year, 4, &out); out.append(UInt8(ascii: "-"))
        digits(month, 2, &out); out.append(UInt8(ascii: "-"))
        digits(day, 2, &out); out.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2, &out); out.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2, &out); out.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2, &out); out.append(UInt8(ascii: "."))
        digits(millis, 3, &out); out.append(UInt8(ascii: "Z"))
    }

    @inline(__always)
    private static func digits(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
            v %= divisor
            divisor /= 10
        }
    }

    /// Proleptic Gregorian date for a day count since 1970-01-01 (non-negative), after
    /// H. Hinnant's "days_from_civil" inverse.
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}
