/// Why a context (or a child context) was refused. Always names the offending field with its
/// SPEC name (`user_id`, `agent_context`, …) so the API can answer 422 with a precise detail.
public struct ContextValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the field.
    public enum Reason: String, Sendable, Equatable, CaseIterable {
        /// Empty, or only whitespace.
        case empty
        /// Longer than the policy's byte limit.
        case tooLong = "too_long"
        /// Not printable ASCII, or contains whitespace or `/`.
        case invalidCharacters = "invalid_characters"
        /// A placeholder value such as `test`, `null` or `temp-42`.
        case placeholder
        /// A key the system owns (e.g. `user_id`) inside `agent_context` / `audit_metadata`.
        case reservedKey = "reserved_key"
        /// The JSON object serializes to more than the policy's byte limit.
        case tooLarge = "too_large"
        /// The JSON object nests deeper than the policy allows.
        case tooDeep = "too_deep"
        /// A child was requested from a context already at the maximum operation depth.
        case depthExceeded = "depth_exceeded"
        /// Fields that contradict each other (e.g. a child without a parent).
        case inconsistent
    }

    /// The SPEC name of the offending field (`user_id`, `thread_id`, `agent_context`, `operation_name`, …).
    public var field: String
    public var reason: Reason
    /// A sentence for people (goes into the problem+json `detail`).
    public var message: String

    public init(field: String, reason: Reason, message: String) {
        self.field = field
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
