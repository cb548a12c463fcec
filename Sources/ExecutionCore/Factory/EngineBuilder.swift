/// Makes an engine from the parts the factory prepared. The factory calls it without holding any
/// lock, so a slow build delays only its own request. Replaceable (tests inject builds that fail;
/// an embedding may wrap engines with its own resources).
public protocol EngineBuilder: Sendable {
    func buildEngine(_ parts: EngineParts) throws -> UserExecutionEngine
}

/// The production builder: a plain `UserExecutionEngine`.
public struct StandardEngineBuilder: EngineBuilder {
    public init() {}
    public func buildEngine(_ parts: EngineParts) throws -> UserExecutionEngine {
        UserExecutionEngine(parts: parts)
    }
}
