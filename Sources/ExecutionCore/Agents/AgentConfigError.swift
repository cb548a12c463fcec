/// A refused "agents" entry: which entry, which field, and why (the process exits at start with
/// this message, so it names everything an operator needs to find the mistake).
public struct AgentConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `agents[2] ("research")`, or `agents` for the list itself.
    public var entry: String
    /// The field inside the entry (`command`, `limits.cpu_seconds`, ...); empty for the entry.
    public var field: String
    public var message: String

    public init(entry: String, field: String, message: String) {
        self.entry = entry
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(entry): \(message)" : "\(entry).\(field): \(message)"
    }
}
