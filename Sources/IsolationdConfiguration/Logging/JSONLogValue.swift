import ExecutionCore

/// A JSON value as log metadata: written as JSON (numbers stay numbers) by `LineLogHandler`,
/// as compact JSON text by other handlers. `logger.info("...", metadata: ["config": .stringConvertible(JSONLogValue(v))])`.
public struct JSONLogValue: CustomStringConvertible, Sendable {
    public let value: JSONValue
    public init(_ value: JSONValue) { self.value = value }
    public var description: String { value.serializedString() }
}
