/// Writes the Prometheus text exposition format (version 0.0.4): each family opens with its
/// `# HELP` and `# TYPE` lines, then its samples, all together (a family is never split, so
/// parsers that refuse a second `TYPE` line for a name accept every scrape).
///
/// Naming, as the format's best practices say: a counter's family name ends in `_total`, units
/// are base units spelled out before it (`_seconds`, `_bytes`); the caller picks the names, the
/// writer escapes what the format requires escaped (HELP text: backslash and newline; label
/// values: backslash, double quote and newline).
public struct PrometheusExposition: Sendable {
    /// The metric types this service exports.
    public enum MetricType: String, Sendable {
        case counter, gauge, histogram
    }

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The text so far, UTF-8.
    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    /// Opens a family: its `# HELP` and `# TYPE` lines. Its samples follow.
    public mutating func family(_ name: String, _ type: MetricType, help: String) {
        append("# HELP ")
        append(name)
        bytes.append(UInt8(ascii: " "))
        Self.escapeHelp(help, into: &bytes)
        append("\n# TYPE ")
        append(name)
        bytes.append(UInt8(ascii: " "))
        append(type.rawValue)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// One sample line: `name{label="value",…} value`. `name` is the family's name, or for a
    /// histogram one of its `_bucket`, `_sum` and `_count` series.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Int) {
        sampleHead(name, labels)
        append(String(value))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A sample whose value is already formatted (a decimal such as `HTTPMetrics.seconds`).
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], formatted value: String) {
        sampleHead(name, labels)
        append(value)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A sample with a fractional value (CPU seconds, a start time).
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        sample(name, labels, formatted: Self.format(value))
    }

    /// A family with one unlabelled sample.
    public mutating func single(_ name: String, _ type: MetricType, help: String, _ value: Int) {
        family(name, type, help: help)
        sample(name, [], value)
    }

    /// A family with one unlabelled fractional sample.
    public mutating func single(_ name: String, _ type: MetricType, help: String, _ value: Double) {
        family(name, type, help: help)
        sample(name, [], value)
    }

    /// Appends text written elsewhere (another writer's whole families).
    public mutating func append(contentsOf other: PrometheusExposition) {
        bytes += other.bytes
    }

    private mutating func sampleHead(_ name: String, _ labels: [(String, String)]) {
        append(name)
        if !labels.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            for (number, (label, value)) in labels.enumerated() {
                if number > 0 { bytes.append(UInt8(ascii: ",")) }
                append(label)
                append("=\"")
                Self.escapeLabelValue(value, into: &bytes)
                bytes.append(UInt8(ascii: "\""))
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// HELP text: `\` becomes `\\`, a line feed `\n` (a double quote stays as it is).
    static func escapeHelp(_ text: String, into out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            default: out.append(byte)
            }
        }
    }

    /// A label value: `\` becomes `\\`, `"` becomes `\"`, a line feed `\n`.
    static func escapeLabelValue(_ text: String, into out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            default: out.append(byte)
            }
        }
    }

    /// A float as the format spells it: `+Inf`, `-Inf`, `NaN`, else Swift's shortest
    /// round-tripping decimal (`0.25`, `1e-05`, `1764000000.5`), which Prometheus parses.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
