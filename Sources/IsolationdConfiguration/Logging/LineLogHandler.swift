import ExecutionCore
import Logging

/// A swift-log handler that writes one line per event: a JSON object (`json`) or readable text
/// (`text`). Messages and values are escaped so an event can never span lines (a newline in a
/// message cannot forge a second log entry).
///
/// JSON lines: `{"ts":"2026-…Z","level":"info","logger":"isolationd","msg":"…",<metadata…>}`,
/// metadata keys sorted; a metadata key that collides with one of the four standard members is
/// written as `meta.<key>`.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    public let format: LoggingSettings.Format
    private let sink: LogSink
    private let clock: any ExecutionClock

    public init(label: String, level: Logger.Level, format: LoggingSettings.Format, sink: LogSink,
                metadataProvider: Logger.MetadataProvider? = nil, clock: any ExecutionClock = SystemClock()) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink
        self.metadataProvider = metadataProvider
        self.clock = clock
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if let error = event.error { merged["error"] = .string("\(error)") }
        let line = format == .json
            ? LineLogHandler.jsonLine(time: clock.now(), level: event.level, label: label, message: event.message.description, metadata: merged)
            : LineLogHandler.textLine(time: clock.now(), level: event.level, label: label, message: event.message.description, metadata: merged)
        sink.write(line)
    }

    static let standardKeys: Set<String> = ["ts", "level", "logger", "msg"]

    static func jsonLine(time: Timestamp, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + message.utf8.count)
        out.append(contentsOf: #"{"ts":"#.utf8)
        JSONValue.writeString(time.iso8601, into: &out)
        out.append(contentsOf: #","level":"#.utf8)
        JSONValue.writeString(level.rawValue, into: &out)
        out.append(contentsOf: #","logger":"#.utf8)
        JSONValue.writeString(label, into: &out)
        out.append(contentsOf: #","msg":"#.utf8)
        JSONValue.writeString(message, into: &out)
        for key in metadata.keys.sorted() {
            out.append(UInt8(ascii: ","))
            JSONValue.writeString(standardKeys.contains(key) ? "meta.\(key)" : key, into: &out)
            out.append(UInt8(ascii: ":"))
            if let value = metadata[key] { json(value).write(into: &out) }
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let s): .string(s)
        case .stringConvertible(let c as JSONLogValue): c.value
        // Numbers and booleans stay JSON numbers and booleans, so a layer that does not know this
        // handler (the access log: status, duration) still logs `"status":200`.
        case .stringConvertible(let c as any BinaryInteger): Int64(exactly: c).map(JSONValue.integer) ?? .string(c.description)
        case .stringConvertible(let c as Double): c.isFinite ? .double(c) : .string(c.description)
        case .stringConvertible(let c as Bool): .bool(c)
        case .stringConvertible(let c): .string(c.description)
        case .array(let items): .array(items.map(json))
        case .dictionary(let d): .object(d.mapValues(json))
        }
    }

    static func textLine(time: Timestamp, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var line = "\(time.iso8601) \(level.rawValue) \(label): \(escaped(message))"
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            line += " \(escaped(key))=\(text(value))"
        }
        line += "\n"
        return Array(line.utf8)
    }

    static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): quotedIfNeeded(s)
        case .stringConvertible(let c as JSONLogValue): c.description
        case .stringConvertible(let c): quotedIfNeeded(c.description)
        case .array, .dictionary: String(decoding: json(value).serialized(), as: UTF8.self)
        }
    }

    /// Plain when the value has no spaces, quotes or controls; a JSON string literal otherwise.
    static func quotedIfNeeded(_ s: String) -> String {
        let plain = !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 != UInt8(ascii: "\"") && $0 != 0x7F && $0 != UInt8(ascii: "=") }
        return plain ? s : JSONValue.string(s).serializedString()
    }

    /// The message with control characters escaped (`\n` as the two characters backslash, n).
    static func escaped(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return s }
        let literal = JSONValue.string(s).serializedString()
        return String(literal.dropFirst().dropLast())
    }
}
